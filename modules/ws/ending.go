package ws

import (
	"errors"
	"net"

	fws "github.com/fasthttp/websocket"

	"github.com/rtserver/rt/modules/protocol"
)

// ending is how a connection ended: the close code the server sends (0 when
// the client or the transport ended it and the server chose none), the close
// frame's text, and why, the reason label of rt_connections_closed_total.
// echo is the code that answers a client's close: the client chose it, so
// it is not counted as a code the server sent.
type ending struct {
	code int
	text string
	why  string
	echo int
}

// Reasons of ends the server did not choose a close code for.
const (
	whyClientClosed  = "client_closed"   // the client sent a close frame first
	whyConnLost      = "connection_lost" // the TCP connection failed or was dropped
	whyWriteTimeout  = "write_timeout"   // the client stopped reading: a write hit WRITE_TIMEOUT
	whyProtocolError = "protocol_error"  // a frame broke RFC 6455 or the fragment rules: 1002
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
// A client's close frame is not an error: the read loop ends with it.
func endingFor(err error) ending {
	var fe *frameError
	var ne net.Error
	switch {
	case errors.As(err, &fe): // a frame broke the rules: 1002, 1007 or 1009
		return ending{code: fe.code, text: fe.text, why: closeReasons[fe.code]}
	case errors.As(err, &ne) && ne.Timeout():
		return ending{code: protocol.CloseIdle, text: "idle timeout", why: "idle"}
	default: // EOF, a reset, a closed socket: the peer is gone
		return ending{why: whyConnLost}
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
