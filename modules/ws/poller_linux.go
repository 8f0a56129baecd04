//go:build linux

package ws

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// pollerReadBytes is the read buffer a poller shares among its sockets,
// and maxReadTurn how much one socket may read before the others ready
// at the same time get their turn.
const (
	pollerReadBytes = 64 << 10
	maxReadTurn     = 256 << 10
)

// poller watches sockets with epoll and reads each one when it has bytes,
// on the poller's own goroutine: an idle socket is an entry in the epoll
// set, not a goroutine parked in a read with its stack and read buffer.
// The epoll descriptor is itself watched by Go's runtime poller, so the
// goroutine parks like any other between events and no thread is held in
// epoll_wait. Sockets are registered edge-triggered: a socket is read
// until it has nothing more (or its turn is used up, and it is read again
// after the others), and the kernel reports it again when new bytes come.
type poller struct {
	epfd   int
	file   *os.File
	raw    syscall.RawConn
	log    *slog.Logger
	mu     sync.Mutex
	conns  []*Conn // by descriptor
	events []unix.EpollEvent
	buf    []byte  // the read buffer every socket of this poller shares
	again  []*Conn // sockets whose turn ended with bytes perhaps left
	closed bool    // under mu: no socket is taken any more
	done   chan struct{}
}

func newPoller(log *slog.Logger) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll descriptor: %w", err)
	}
	p := &poller{epfd: epfd, file: os.NewFile(uintptr(epfd), "epoll"), log: log,
		events: make([]unix.EpollEvent, 256), buf: make([]byte, pollerReadBytes), done: make(chan struct{})}
	if p.raw, err = p.file.SyscallConn(); err != nil {
		p.file.Close()
		return nil, err
	}
	go p.run()
	return p, nil
}

// close stops the poller; the sockets still on it are not read again,
// and a socket accepted later is read by a goroutine of its own.
func (p *poller) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.file.Close()
	<-p.done
}

func (p *poller) run() {
	defer close(p.done)
	err := p.raw.Read(p.wait)
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if err != nil && !closed {
		p.log.Error("socket poller stopped", "err", err)
	}
}

// wait serves every socket ready; false parks the goroutine until the
// epoll descriptor reports more.
func (p *poller) wait(uintptr) bool {
	for {
		n, err := unix.EpollWait(p.epfd, p.events, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			p.log.Error("epoll_wait", "err", err)
			return true
		}
		for _, ev := range p.events[:n] {
			if c := p.lookup(int(ev.Fd)); c != nil {
				p.serve(c)
			}
		}
		p.serveAgain()
		if n < len(p.events) && len(p.again) == 0 {
			return false
		}
	}
}

// serveAgain gives the sockets whose turn ended another one.
func (p *poller) serveAgain() {
	again := p.again
	p.again = nil
	for _, c := range again {
		p.serve(c)
	}
}

func (p *poller) lookup(fd int) *Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd < 0 || fd >= len(p.conns) {
		return nil
	}
	return p.conns[fd]
}

// take registers c, whose reading has started, and returns p; nil when
// there is no poller or c cannot be watched (not a plain TCP socket), and
// c is read by a goroutine of its own. readMu is held.
func (p *poller) take(c *Conn) *poller {
	if p == nil {
		return nil
	}
	if c.fd < 0 {
		return nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	if c.fd >= len(p.conns) {
		p.conns = append(p.conns, make([]*Conn, c.fd+1-len(p.conns))...)
	}
	p.conns[c.fd] = c
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(c.fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		p.forget(c)
		p.log.Warn("epoll_ctl add: the socket is read by a goroutine", "err", err)
		return nil
	}
	return p
}

// remove stops watching c; readMu is held. The descriptor is still open
// (it is closed only after reading is over), so the number is still c's.
func (p *poller) remove(c *Conn) {
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	p.forget(c)
}

func (p *poller) forget(c *Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.fd < len(p.conns) && p.conns[c.fd] == c {
		p.conns[c.fd] = nil
	}
}

// serve reads c until it has nothing more, serving its frames, or until
// its turn is used up.
func (p *poller) serve(c *Conn) {
	c.readMu.Lock()
	if c.readEnd.over {
		c.readMu.Unlock()
		return
	}
	more := p.read(c)
	if !more {
		c.over()
	}
	c.readMu.Unlock()
	if !more {
		go c.ended()
	}
}

// read is serve's part under readMu: it reports whether to read on.
func (p *poller) read(c *Conn) bool {
	for turn := 0; turn < maxReadTurn; {
		n, err := unix.Read(c.fd, p.buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return true
		case err != nil:
			c.readFailed(err)
			return false
		case n == 0:
			c.readFailed(io.EOF)
			return false
		}
		turn += n
		if !c.consumeSafely(p.buf[:n]) {
			return false
		}
	}
	p.again = append(p.again, c)
	return true
}
