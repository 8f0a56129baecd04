package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// rtctl is a tool of the module, so `go tool rtctl` passes its exit status
// on as the docs promise (task would turn every failure into its own 201):
// 1 for an API that cannot be reached, 2 for a bad command line.
func TestGoToolRtctlPassesItsExitStatusOn(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
		says string
	}{
		{"unreachable", []string{"presence", "lobby"}, 1, "connection refused"},
		{"bad command line", []string{"-bogus"}, 2, "unknown flag -bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("go", append([]string{"tool", "rtctl"}, tc.args...)...)
			// Port 1 on loopback: nothing listens there.
			cmd.Env = append(os.Environ(), "API_ADDR=127.0.0.1:1", "API_KEY=k")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.want {
				t.Fatalf("go tool rtctl %v: %v, want exit status %d:\n%s", tc.args, err, tc.want, out)
			}
			if !strings.Contains(string(out), tc.says) {
				t.Errorf("go tool rtctl %v said %q, want it to say %q", tc.args, out, tc.says)
			}
		})
	}
}
