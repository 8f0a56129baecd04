package ws

import fws "github.com/fasthttp/websocket"

// The errors the socket actually returns. gofiber/contrib/websocket declares
// look-alike variables of its own (websocket.ErrReadLimit, ErrCloseSent) that
// the underlying library never returns, so they must not be compared against.
var (
	errReadLimit = fws.ErrReadLimit
	errCloseSent = fws.ErrCloseSent
)
