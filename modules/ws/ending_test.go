package ws

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestEndingFor(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		code int
		why  string
	}{
		{"message over the read limit", errTooLarge, 1009, "too_large"},
		{"too many fragments", errTooManyFragments, 1002, whyProtocolError},
		{"unmasked frame", errUnmasked, 1002, whyProtocolError},
		{"close reason not UTF-8", errCloseReason, 1007, "invalid_payload"},
		{"EOF in a frame", io.ErrUnexpectedEOF, 0, whyConnLost},
		{"idle deadline", &net.OpError{Op: "read", Err: timeoutErr{}}, 4000, "idle"},
		{"connection reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, 0, whyConnLost},
		{"closed socket", fmt.Errorf("read: %w", net.ErrClosed), 0, whyConnLost},
		{"plain EOF", io.EOF, 0, whyConnLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := endingFor(tc.err)
			if e.code != tc.code || e.why != tc.why || e.echo != 0 {
				t.Fatalf("endingFor(%v) = %d %s, want %d %s", tc.err, e.code, e.why, tc.code, tc.why)
			}
		})
	}
}
