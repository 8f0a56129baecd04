package ws

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	fws "github.com/fasthttp/websocket"
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
		{"frame over the read limit", errReadLimit, 1009, "too_large"},
		{"client sent close 1000", &fws.CloseError{Code: 1000}, 0, whyClientClosed},
		{"client sent close 4999", &fws.CloseError{Code: 4999}, 0, whyClientClosed},
		{"client sent close without code", &fws.CloseError{Code: fws.CloseNoStatusReceived}, 0, whyClientClosed},
		{"EOF in a frame", &fws.CloseError{Code: fws.CloseAbnormalClosure}, 0, whyConnLost},
		{"idle deadline", &net.OpError{Op: "read", Err: timeoutErr{}}, 4000, "idle"},
		{"connection reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, 0, whyConnLost},
		{"closed socket", fmt.Errorf("read: %w", net.ErrClosed), 0, whyConnLost},
		{"plain EOF", io.EOF, 0, whyConnLost},
		{"protocol error", errors.New("websocket: bad opcode 3"), 1002, whyProtocolError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := endingFor(tc.err)
			if e.code != tc.code || e.why != tc.why {
				t.Fatalf("endingFor(%v) = %d %s, want %d %s", tc.err, e.code, e.why, tc.code, tc.why)
			}
		})
	}
}
