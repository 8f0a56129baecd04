package e2e

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// cutProxy is a TCP proxy between a client and rt nodes that a test can
// cut (every connection closed, new ones closed on arrival) and restore,
// or stall (the client's bytes are read and dropped, so what it sends
// never reaches the server). Each new connection goes to the next backend
// in turn, so with two nodes a reconnect lands on the other one.
type cutProxy struct {
	ln       net.Listener
	backends []string
	dropped  atomic.Int64 // client bytes dropped while stalled
	wg       sync.WaitGroup

	mu      sync.Mutex
	next    int
	down    bool
	stalled bool
	conns   map[net.Conn]struct{}
}

func startProxy(t *testing.T, backends ...string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.open(c)
	}
}

// open connects c to the next backend, or closes it while the proxy is
// down.
func (p *cutProxy) open(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		c.Close()
		return
	}
	backend := p.backends[p.next%len(p.backends)]
	p.next++
	s, err := net.Dial("tcp", backend)
	if err != nil {
		c.Close()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.wg.Add(2)
	go p.pipe(s, c, true)
	go p.pipe(c, s, false)
}

// pipe copies from src to dst until either ends, then closes both.
// fromClient bytes are dropped while the proxy is stalled.
func (p *cutProxy) pipe(dst, src net.Conn, fromClient bool) {
	defer p.wg.Done()
	defer p.forget(dst, src)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if fromClient && p.isStalled() {
				p.dropped.Add(int64(n))
			} else if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *cutProxy) forget(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *cutProxy) isStalled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalled
}

// cut closes every connection and refuses new ones until restore.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down, p.stalled = true, false
	for c := range p.conns {
		c.Close()
	}
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// stall drops what the client sends from now on, until cut.
func (p *cutProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// close stops the proxy and waits for its goroutines.
func (p *cutProxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}
