package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The ceiling is what this machine's kernel allows a server of one core to
// write at all: a writer with nothing to do but write the same pre-encoded
// small WebSocket text frame to many loopback TCP connections, one
// goroutine per connection as rt has, whose peers only read and discard.
// Every throughput figure is shown as a ratio to it, so that a figure can be
// read as "the server's share of what a bare socket writer gets here", and
// figures from different machines can be compared.
//
// Its readers are raw sockets that read and discard, not rt clients of
// any kind (the writer speaks no protocol): the ceiling is the kernel's,
// not a client's.
//
// The writer runs as a child process (this binary again, started with
// ceilingEnv set), pinned like the server: taskset to the server's CPU and
// GOMAXPROCS=1. The readers run here, on the load generator's CPUs.

const ceilingEnv = "RT_LOAD_CEILING_WRITER" // "<conns> <milliseconds per mode>"

// ceilingBatches are the frames per write of the two measurements: one
// write(2) per frame, and 16 frames per writev(2).
var ceilingBatches = [2]int{1, 16}

// ceilingPayload is the size and shape of a chat.delivery of the fan-out
// scenarios.
const ceilingPayload = `{"type":"chat.delivery","room":"fo-0","user":"u123","text":"1234:1795653871903000000","id":"01M8AMZA8ZHNCE35NJB15EPSDF","ts":1795653871903}`

const (
	ceilingWarmup = 200 * time.Millisecond // writing before the count starts
	ceilingPause  = 300 * time.Millisecond // between the modes: the readers drain
	ceilingSetup  = 30 * time.Second       // bound on accepting the connections
)

type ceiling struct {
	Conns      int     `json:"connections"`
	FrameBytes int     `json:"frame_bytes"`
	Seconds    float64 `json:"seconds_per_mode"`
	Single     float64 `json:"frames_per_second_1_per_write"`
	Batched    float64 `json:"frames_per_second_16_per_write"`
}

func (c *ceiling) String() string {
	return fmt.Sprintf("ceiling: %s frames/s at 1 frame/write, %s frames/s at 16 frames/write (%d-byte frames to %d loopback connections, %g s each)",
		thousands(c.Single), thousands(c.Batched), c.FrameBytes, c.Conns, c.Seconds)
}

// ratio is rate as a share of the ceiling: "0.42 / 0.11" (1 frame/write,
// 16 frames/write).
func (c *ceiling) ratio(rate float64) string {
	if c == nil || c.Single <= 0 || c.Batched <= 0 || rate <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f / %.2f", rate/c.Single, rate/c.Batched)
}

// measureCeiling starts the writer child, connects conns readers to it and
// reads its two figures.
func measureCeiling(ctx context.Context, pin pinning, conns int, each time.Duration) (*ceiling, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, ceilingSetup+4*each+30*time.Second)
	defer cancel()
	cmd := pin.command(exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %d", ceilingEnv, conns, each.Milliseconds()))
	cmd.Env = append(cmd.Env, pin.env()...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_ = cmd.Wait()
		close(exited)
	}()
	var socks []net.Conn
	var readers sync.WaitGroup
	defer func() {
		for _, s := range socks {
			s.Close()
		}
		readers.Wait()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	next := func() (string, error) {
		select {
		case l, ok := <-lines:
			if !ok {
				return "", fmt.Errorf("ceiling writer exited early")
			}
			return l, nil
		case <-ctx.Done():
			return "", fmt.Errorf("ceiling writer: %w", ctx.Err())
		}
	}
	l, err := next()
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(strings.TrimPrefix(l, "port "))
	if err != nil {
		return nil, fmt.Errorf("ceiling writer said %q", l)
	}
	logf("ceiling: writer pid %d; %d readers connecting", cmd.Process.Pid, conns)
	addr := net.JoinHostPort(loopback, strconv.Itoa(port))
	for range conns {
		s, err := dialLoopback(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("ceiling: %w", err)
		}
		socks = append(socks, s)
		readers.Go(func() {
			buf := make([]byte, 16<<10)
			for {
				if _, err := s.Read(buf); err != nil {
					return
				}
			}
		})
	}
	c := &ceiling{Conns: conns, FrameBytes: len(wsTextFrame([]byte(ceilingPayload))), Seconds: each.Seconds()}
	for _, batch := range ceilingBatches {
		l, err := next()
		if err != nil {
			return nil, err
		}
		var b int
		var frames, ns int64
		if _, err := fmt.Sscanf(l, "batch %d frames %d ns %d", &b, &frames, &ns); err != nil || b != batch || ns <= 0 {
			return nil, fmt.Errorf("ceiling writer said %q", l)
		}
		rate := float64(frames) / (float64(ns) / 1e9)
		if batch == 1 {
			c.Single = rate
		} else {
			c.Batched = rate
		}
		logf("ceiling: %s frames/s at %d frame(s)/write", thousands(rate), batch)
	}
	return c, nil
}

// ceilingWriter is the child: it listens on loopback, accepts conns
// connections, then writes to all of them for the given time in each mode,
// and prints what it wrote. Every loop is bounded by a deadline.
func ceilingWriter(spec string) error {
	var conns, ms int
	if _, err := fmt.Sscanf(spec, "%d %d", &conns, &ms); err != nil || conns < 1 || ms < 1 {
		return fmt.Errorf("%s=%q: want \"<conns> <ms>\"", ceilingEnv, spec)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("port %d\n", ln.Addr().(*net.TCPAddr).Port)
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(ceilingSetup))
	socks := make([]net.Conn, 0, conns)
	defer func() {
		for _, s := range socks {
			s.Close()
		}
	}()
	for range conns {
		s, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("accepting the readers: %w", err)
		}
		socks = append(socks, s)
	}
	frame := wsTextFrame([]byte(ceilingPayload))
	for _, batch := range ceilingBatches {
		frames, elapsed := writeAll(socks, frame, batch, time.Duration(ms)*time.Millisecond)
		fmt.Printf("batch %d frames %d ns %d\n", batch, frames, elapsed.Nanoseconds())
		time.Sleep(ceilingPause)
	}
	return nil
}

// writeAll has one goroutine per socket write frame, batch at a time, for
// d after a warm-up, and returns the frames written in d.
func writeAll(socks []net.Conn, frame []byte, batch int, d time.Duration) (int64, time.Duration) {
	var stop atomic.Bool
	var count atomic.Int64
	var wg sync.WaitGroup
	for _, s := range socks {
		wg.Go(func() {
			var arr [16][]byte
			for !stop.Load() {
				var err error
				if batch == 1 {
					_, err = s.Write(frame)
				} else {
					for i := range batch {
						arr[i] = frame
					}
					bufs := net.Buffers(arr[:batch]) // one writev(2); WriteTo consumes the slice
					_, err = bufs.WriteTo(s)
				}
				if err != nil {
					return
				}
				count.Add(int64(batch))
			}
		})
	}
	time.Sleep(ceilingWarmup)
	c0, t0 := count.Load(), time.Now()
	time.Sleep(d)
	c1, t1 := count.Load(), time.Now()
	stop.Store(true)
	for _, s := range socks {
		_ = s.SetWriteDeadline(time.Now()) // a writer waiting for buffer space returns
	}
	wg.Wait()
	for _, s := range socks {
		_ = s.SetWriteDeadline(time.Time{})
	}
	return c1 - c0, t1.Sub(t0)
}

// thousands is n rounded to a whole number, with a space between groups of
// three digits, as docs/performance.md writes figures: "1 234 567".
func thousands(n float64) string {
	s := strconv.FormatInt(int64(math.Round(n)), 10)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	b.WriteString(s[:len(s)-len(digits)])
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
