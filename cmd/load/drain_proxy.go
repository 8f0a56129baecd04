package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// The drain scenario's load balancer: a round-robin TCP proxy that probes
// each backend's /readyz every probeEvery, as a load balancer's health
// check does, and sends each new connection to the next ready backend
// (the next one again if the dial fails). Like HAProxy's checks (fall 3,
// rise 2), a backend is taken out after probeFall failed probes in a row
// (an answer other than 200, or none within probeTimeout) and put back
// after probeRise good ones: a node busy taking in the clients of another
// answers its probe late, and one late answer must not empty the pool. It runs as proxyWorkers child
// processes of this program sharing one port (SO_REUSEPORT, the kernel
// spreads the connections): a proxied socket costs two open files, and
// one process may hold at most the hard limit (20,000 on some machines),
// which 10,000 sockets would reach in one process.
const (
	proxyEnv     = "RT_LOAD_DRAIN_PROXY" // "<listen addr> <backend>,<backend>…"
	proxyWorkers = 2
	probeEvery   = 250 * time.Millisecond
	probeTimeout = time.Second
	probeFall    = 3
	probeRise    = 2
)

// proxyCounts is what a worker reports when it stops: the connections it
// sent to each backend, and those it found no ready backend for.
type proxyCounts struct {
	Backends  map[string]int64 `json:"backends"`
	NoBackend int64            `json:"no_backend"`
	// Opened are the times (Unix nanoseconds) at which a connection to a
	// backend was opened, and Closed those at which a backend ended one
	// before its client did: the load balancer's view of a node's intake
	// and of a draining node's closes, from the first process after them.
	Opened map[string][]int64 `json:"opened"`
	Closed map[string][]int64 `json:"closed"`
}

// balancer is the parent's handle on the proxy's workers.
type balancer struct {
	addr    string
	workers []*exec.Cmd
	outs    []*bufio.Reader
}

// startBalancer starts the workers on a free loopback port in front of
// backends.
func startBalancer(backends []string) (*balancer, error) {
	port, err := rtnode.FreePort()
	if err != nil {
		return nil, err
	}
	b := &balancer{addr: net.JoinHostPort(loopback, fmt.Sprint(port))}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	for range proxyWorkers {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), proxyEnv+"="+b.addr+" "+strings.Join(backends, ","))
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = childAttr()
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			b.stop()
			return nil, err
		}
		b.workers = append(b.workers, cmd)
		b.outs = append(b.outs, bufio.NewReader(out))
	}
	for _, out := range b.outs { // each says "listening" once bound
		if line, err := out.ReadString('\n'); err != nil || strings.TrimSpace(line) != "listening" {
			b.stop()
			return nil, fmt.Errorf("proxy worker did not start: %q %v", line, err)
		}
	}
	logf("drain: proxy on %s (%d workers) in front of %s, probing /readyz every %s", b.addr, proxyWorkers, strings.Join(backends, ", "), probeEvery)
	return b, nil
}

// stop ends the workers and sums what they report.
func (b *balancer) stop() proxyCounts {
	total := proxyCounts{Backends: map[string]int64{}, Opened: map[string][]int64{}, Closed: map[string][]int64{}}
	for i, cmd := range b.workers {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		var c proxyCounts
		if i < len(b.outs) {
			if line, err := b.outs[i].ReadString('\n'); err == nil && json.Unmarshal([]byte(line), &c) == nil {
				for k, v := range c.Backends {
					total.Backends[k] += v
				}
				for k, v := range c.Opened {
					total.Opened[k] = append(total.Opened[k], v...)
				}
				for k, v := range c.Closed {
					total.Closed[k] = append(total.Closed[k], v...)
				}
				total.NoBackend += c.NoBackend
			}
		}
		_ = cmd.Wait()
	}
	return total
}

// proxyWorker is the child's main: spec is proxyEnv's value.
func proxyWorker(spec string) error {
	listen, list, ok := strings.Cut(spec, " ")
	if !ok {
		return fmt.Errorf("bad %s %q", proxyEnv, spec)
	}
	if _, err := raiseFileLimit(16 << 10); err != nil { // its share of the sockets, two files each
		logf("proxy worker: %v (going on)", err)
	}
	lc := net.ListenConfig{Control: reusePort}
	ln, err := lc.Listen(context.Background(), "tcp", listen)
	if err != nil {
		return err
	}
	p := newProxy(strings.Split(list, ","))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	p.probe()
	go p.serve(ln)
	fmt.Println("listening")
	<-stop
	ln.Close()
	b, _ := json.Marshal(p.counts())
	fmt.Println(string(b))
	return nil
}

// reusePort sets SO_REUSEPORT so that every worker listens on one port.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
	}); err != nil {
		return err
	}
	return serr
}

// proxy is one worker: the backends, which of them answered /readyz 200
// at the last probe, and the connections sent to each.
type proxy struct {
	backends []string
	ready    []atomic.Bool
	sent     []atomic.Int64
	none     atomic.Int64
	next     atomic.Uint64

	mu             sync.Mutex
	opened, closed [][]int64 // by backend: proxyCounts.Opened and Closed
}

func newProxy(backends []string) *proxy {
	return &proxy{backends: backends, ready: make([]atomic.Bool, len(backends)), sent: make([]atomic.Int64, len(backends)),
		opened: make([][]int64, len(backends)), closed: make([][]int64, len(backends))}
}

// probe asks every backend's /readyz once, which puts it in the pool or
// not, then every probeEvery, forever, each backend on a loop of its own
// so that one slow answer does not delay the others.
func (p *proxy) probe() {
	client := &http.Client{Timeout: probeTimeout, Transport: &http.Transport{DialContext: dialLoopback, DisableKeepAlives: true}}
	var wg sync.WaitGroup
	for i, b := range p.backends {
		url := "http://" + b + "/readyz"
		wg.Go(func() { p.ready[i].Store(ready(client, url)) })
		go p.check(client, i, url)
	}
	wg.Wait()
}

// ready says whether url answers 200 within the client's timeout.
func ready(client *http.Client, url string) bool {
	resp, err := client.Get(url)
	if resp != nil {
		resp.Body.Close()
	}
	return err == nil && resp.StatusCode == http.StatusOK
}

// check probes url every probeEvery and moves backend i in or out of the
// pool after probeRise good or probeFall bad answers in a row.
func (p *proxy) check(client *http.Client, i int, url string) {
	var good, bad int
	for {
		time.Sleep(probeEvery)
		if ready(client, url) {
			good, bad = good+1, 0
		} else {
			good, bad = 0, bad+1
		}
		switch {
		case good >= probeRise:
			p.ready[i].Store(true)
		case bad >= probeFall:
			p.ready[i].Store(false)
		}
	}
}

func (p *proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.open(c)
	}
}

// open sends c to the next ready backend in turn, trying the ready ones
// after it when a dial fails; with none, c is closed.
func (p *proxy) open(c net.Conn) {
	start := p.next.Add(1)
	n := uint64(len(p.backends))
	for k := range n {
		i := (start + k) % n
		if !p.ready[i].Load() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := dialLoopback(ctx, "tcp", p.backends[i])
		cancel()
		if err != nil {
			continue
		}
		p.sent[i].Add(1)
		p.note(p.opened, i)
		if pipe(c, s) {
			p.note(p.closed, i)
		}
		return
	}
	p.none.Add(1)
	c.Close()
}

// note appends now to times[i].
func (p *proxy) note(times [][]int64, i uint64) {
	p.mu.Lock()
	times[i] = append(times[i], time.Now().UnixNano())
	p.mu.Unlock()
}

// pipe copies both ways until either side ends, then closes both. It
// copies through a buffer of its own: io.Copy between two TCP connections
// splices, and each splice waiting for bytes holds a kernel pipe, two
// more open files per direction, which the workers' limit cannot afford.
// It says whether b, the backend, ended first.
func pipe(a, b net.Conn) (backendFirst bool) {
	done := make(chan net.Conn, 2) // the side that ended
	cp := func(dst, src net.Conn) {
		_, _ = io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, make([]byte, 4<<10))
		done <- src
	}
	go cp(a, b)
	go cp(b, a)
	first := <-done
	a.Close()
	b.Close()
	<-done
	return first == b
}

func (p *proxy) counts() proxyCounts {
	c := proxyCounts{Backends: map[string]int64{}, NoBackend: p.none.Load(), Opened: map[string][]int64{}, Closed: map[string][]int64{}}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range p.backends {
		c.Backends[b] = p.sent[i].Load()
		c.Opened[b] = p.opened[i]
		c.Closed[b] = p.closed[i]
	}
	return c
}
