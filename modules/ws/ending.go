package ws

import (
	"errors"
	"io"
	"net"
	"syscall"

	fws "github.com/fasthttp/websocket"

	"rt/modules/protocol"
)

// ending is how a connection ended: the close code the server sends (0 when
// the client or the transport ended it and the server chose none), the close
// frame's text, and why, the reason label of rt_connections_closed_total.
type ending struct {
	code int
	text string
	why  string
}

// Reasons of ends the server did not choose a close code for.
const (
	whyClientClosed  = "client_closed"   // the client sent a close frame first
	whyConnLost      = "connection_lost" // the TCP connection failed or was dropped
	whyWriteTimeout  = "write_timeout"   // the client stopped reading: a write hit WRITE_TIMEOUT
	whyProtocolError = "protocol_error"  // a frame broke RFC 6455; the library sent 1002
)

// closeReasons names every close code the server sends, for the
// rt_connections_closed_total reason label.
var closeReasons = map[int]string{
	protocol.CloseNormal:         "normal",
	protocol.CloseGoingAway:      "going_away",
	fws.CloseProtocolError:       whyProtocolError,
	protocol.CloseInvalidPayload: "invalid_payload",
	protocol.ClosePolicy:         "policy",
	protocol.CloseTooLarge:       "too_large",
	protocol.CloseInternal:       "internal",
	protocol.CloseIdle:           "idle",
	protocol.CloseTokenExpired:   "token_expired",
	protocol.CloseTooSlow:        "too_slow",
	protocol.CloseDisconnected:   "disconnected",
}

// endingFor maps the error that ended the reader to the connection's end.
func endingFor(err error) ending {
	var ce *fws.CloseError
	var ne net.Error
	switch {
	case errors.Is(err, errReadLimit): // the library has sent 1009 already
		return ending{code: protocol.CloseTooLarge, text: "frame too large", why: "too_large"}
	case errors.As(err, &ce) && ce.Code == fws.CloseAbnormalClosure: // EOF mid-read
		return ending{why: whyConnLost}
	case errors.As(err, &ce): // the library has echoed the client's close
		return ending{why: whyClientClosed}
	case errors.As(err, &ne) && ne.Timeout():
		return ending{code: protocol.CloseIdle, text: "idle timeout", why: "idle"}
	case isTransport(err):
		return ending{why: whyConnLost}
	default: // every other read error is a protocol error the library answered with 1002
		return ending{code: fws.CloseProtocolError, why: whyProtocolError}
	}
}

// transportWhy names a failed write.
func transportWhy(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return whyWriteTimeout
	}
	return whyConnLost
}

func isTransport(err error) bool {
	var op *net.OpError
	var errno syscall.Errno
	return errors.As(err, &op) || errors.As(err, &errno) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
