//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// ampRequests is how many connections the test opens at once.
	ampRequests = 1000
	// ampBudget is the most the whole volley may add to the server's RSS.
	ampBudget = 100 << 20
	// ampDeclared is the body each request announces and never sends:
	// Fiber's default body limit, the most fasthttp would allocate for one.
	ampDeclared = 4 << 20
)

// A request announcing a large body must cost the server next to nothing
// before it is refused: fasthttp allocates a request's whole Content-Length
// as soon as it has read the headers, on any path and method, and holds it
// while waiting for the body. The test runs the real binary, opens 1,000
// connections that each send only headers announcing 4 MiB, and measures
// the server's peak RSS (VmHWM) against its RSS before the volley. It stops
// as soon as the budget is exceeded so that a regression does not take the
// machine's memory with it.
func TestAnnouncedBodiesCostTheServerNoMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server binary and opens 1,000 connections")
	}
	pid, addr := ampStartServer(t)
	ampHealthz(t, addr) // warms the server up before the baseline
	base := ampStatusBytes(t, pid, "VmRSS")

	conns := make([]net.Conn, 0, ampRequests)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range ampRequests {
		conns = append(conns, ampSendHeaders(t, addr, ampRequest(i)))
		if grown := ampStatusBytes(t, pid, "VmHWM") - base; grown > ampBudget {
			t.Fatalf("after %d requests the server's RSS grew by %d MiB (budget %d MiB)", i+1, grown>>20, ampBudget>>20)
		}
	}
	ampWatch(t, pid, base, 2*time.Second)
	ampHealthz(t, addr) // still serving with every connection open

	deadline := time.Now().Add(10 * time.Second)
	for i, c := range conns {
		ampExpectRefusal(t, c, deadline, ampRequest(i))
	}
	grown := ampStatusBytes(t, pid, "VmHWM") - base
	t.Logf("%d requests announcing %d bytes: peak RSS grew by %.1f MiB (from %.1f MiB)",
		ampRequests, ampDeclared, float64(grown)/(1<<20), float64(base)/(1<<20))
	if grown > ampBudget {
		t.Fatalf("peak RSS grew by %d MiB, budget %d MiB", grown>>20, ampBudget>>20)
	}
}

// ampWatch polls the server's peak RSS for a while after the volley: the
// allocations trail the requests (a server busy allocating falls behind), so
// a regression shows here first, and fails before it has grown far.
func ampWatch(t *testing.T, pid int, base int64, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if grown := ampStatusBytes(t, pid, "VmHWM") - base; grown > ampBudget {
			t.Fatalf("%d requests announcing %d bytes: the server's RSS grew by %d MiB (budget %d MiB)",
				ampRequests, ampDeclared, grown>>20, ampBudget>>20)
		}
	}
}

// ampRequest alternates the demo page's POST and a WebSocket handshake path:
// both methods, on routes that read no body.
func ampRequest(i int) string {
	if i%2 == 0 {
		return "POST /demo/origin"
	}
	return "GET /ws/room"
}

// ampStartServer builds the binary (without the race detector, whatever the
// test itself runs with, so the figures are the deployed server's) and
// starts it in embedded mode; it returns once the server is listening.
func ampStartServer(t *testing.T) (pid int, addr string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "github.com/rtserver/rt")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "HOST=127.0.0.1", "REDIS_URL=", "JWT_SECRET=amplification-test-secret", "LOG_FORMAT=text")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the test
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ampStop(cmd) })
	ampAwaitListening(t, cmd, stderr)
	return cmd.Process.Pid, "127.0.0.1:" + port
}

// ampAwaitListening reads the log until the server listens, then keeps
// draining it so the server never blocks on a full pipe.
func ampAwaitListening(t *testing.T, cmd *exec.Cmd, stderr io.Reader) {
	t.Helper()
	timer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if strings.Contains(lines.Text(), "msg=listening") {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return
		}
	}
	t.Fatal("the server stopped before listening")
}

func ampStop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	kill := time.AfterFunc(15*time.Second, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	_ = cmd.Wait()
}

// ampSendHeaders opens a connection and sends a request's headers only,
// announcing a body that never comes.
func ampSendHeaders(t *testing.T, addr, requestLine string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", requestLine, addr, ampDeclared)
	if _, err := io.WriteString(c, head); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// ampExpectRefusal reads the answer to an announced body over the limit:
// 413 with the project's JSON error, without the body ever being sent.
func ampExpectRefusal(t *testing.T, c net.Conn, deadline time.Time, what string) {
	t.Helper()
	_ = c.SetReadDeadline(deadline)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: no answer: %v", what, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.TrimSpace(string(body)) != `{"error":"body_too_large"}` {
		t.Fatalf("%s: %d %s, want 413 {\"error\":\"body_too_large\"}", what, resp.StatusCode, body)
	}
}

func ampHealthz(t *testing.T, addr string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %d", resp.StatusCode)
	}
}

// ampStatusBytes reads one memory field (VmRSS, VmHWM) of /proc/<pid>/status.
func ampStatusBytes(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				t.Fatalf("%s %q: %v", field, rest, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
