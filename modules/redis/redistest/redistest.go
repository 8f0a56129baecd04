// Package redistest starts a real redis-server on a free loopback port for tests.
//
// When the binary is missing the calling test is skipped with a loud message,
// unless REQUIRE_REDIS=1 is set (as CI does), in which case it fails.
package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Server is one redis-server process owned by a test.
type Server struct {
	Port int
	dir  string
	cmd  *exec.Cmd
}

// Start launches redis-server and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server not found on PATH: Redis-backed test NOT RUN (install redis-server, or set REQUIRE_REDIS=1 to make this a failure)"
		if os.Getenv("REQUIRE_REDIS") == "1" {
			tb.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, "SKIP:", msg)
		tb.Skip(msg)
	}
	s := &Server{Port: freePort(tb), dir: tb.TempDir()}
	s.start(tb, bin)
	tb.Cleanup(s.Stop)
	return s
}

// URL is the REDIS_URL of this server.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.Port) }

// Addr is host:port of this server.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Stop kills the server; it is safe to call more than once.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart kills the server and starts a fresh one on the same port, as an
// operator restarting Redis would. Data is not kept.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	bin, _ := exec.LookPath("redis-server")
	s.start(tb, bin)
}

func (s *Server) start(tb testing.TB, bin string) {
	tb.Helper()
	s.cmd = exec.Command(bin,
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond); err == nil {
			conn.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	tb.Fatalf("redis-server did not listen on %s within 10s", s.Addr())
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
