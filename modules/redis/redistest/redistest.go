// Package redistest starts real Redis servers on free loopback ports for
// tests: one redis-server (Start) or a Redis Cluster (StartCluster).
//
// When a binary is missing the calling test is skipped with a loud message,
// unless REQUIRE_REDIS=1 is set (as CI does), in which case it fails.
package redistest

import (
	"github.com/redis/rueidis"

	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
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
	bin := Need(tb, "redis-server")[0]
	s := &Server{dir: tb.TempDir()}
	tb.Cleanup(s.Stop)
	var err error
	for range launchAttempts {
		ports, perr := freePorts(1)
		if perr != nil {
			tb.Fatal(perr)
		}
		s.Port = ports[0]
		if err = s.launch(bin); !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Need returns the path of each binary, in order, after skipping the test
// (failing it under REQUIRE_REDIS=1) when one is not on PATH.
func Need(tb testing.TB, names ...string) []string {
	tb.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			msg := name + " not found on PATH: Redis-backed test NOT RUN (install redis-server, or set REQUIRE_REDIS=1 to make this a failure)"
			if name == "redis-cli" {
				msg = name + " not found on PATH: Redis Cluster test NOT RUN (install redis-cli (Debian: redis-tools), or set REQUIRE_REDIS=1 to make this a failure)"
			}
			if os.Getenv("REQUIRE_REDIS") == "1" {
				tb.Fatal(msg)
			}
			fmt.Fprintln(os.Stderr, "SKIP:", msg)
			tb.Skip(msg)
		}
		paths[i] = p
	}
	return paths
}

// URL is the REDIS_URL of this server.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Addr is host:port of this server.
func (s *Server) Addr() string { return addr(s.Port) }

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
	if err := s.launch(bin); err != nil {
		tb.Fatal(err)
	}
}

// launch starts the server on s.Port and waits until it serves there; on
// a failure nothing is left running.
func (s *Server) launch(bin string) error {
	cmd, err := launch(bin, s.Port, s.dir, nil, nil)
	if err != nil {
		return err
	}
	s.cmd = cmd
	if err := waitServing(s.Port, cmd); err != nil {
		s.Stop()
		return err
	}
	return nil
}

// launch starts redis-server on 127.0.0.1:port with dir as its working
// directory, persistence off, and the extra arguments; attr, if not nil,
// sets how the process is created.
func launch(bin string, port int, dir string, extra []string, attr *syscall.SysProcAttr) (*exec.Cmd, error) {
	args := append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	return cmd, nil
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close() // held until all are chosen, so none repeats
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// NewClient is a client of the Redis at addr (a single Redis, or any node
// of a cluster), closed when the test ends.
func NewClient(tb testing.TB, addr string) rueidis.Client {
	tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		tb.Fatalf("rueidis.NewClient: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}
