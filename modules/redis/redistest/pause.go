package redistest

import (
	"syscall"
	"testing"
)

// Pause stops the server process (SIGSTOP): connections stay open and
// commands go unanswered, as with a Redis stalled by a slow command, a fork
// or a swapping host. Resume undoes it; Stop kills a paused server as well.
func (s *Server) Pause(tb testing.TB) {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		tb.Fatalf("pause redis-server: %v", err)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		tb.Fatalf("resume redis-server: %v", err)
	}
}
