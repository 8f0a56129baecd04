package ws

import (
	"time"

	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/protocol"
)

// refresh moves the connection's expiry to the new token's, if it verifies,
// names the same user and still allows the room of the URL; otherwise
// nothing changes. A room joined later that the new token's rooms claim no
// longer allows is left, with room.left reason forbidden. Refreshes have a
// rate of their own (checkRefresh), and a token longer than
// auth.MaxTokenBytes is refused by Verify unread.
func (h *Handler) refresh(c *Conn, in protocol.Inbound) {
	switch c.guard.checkRefresh(time.Now()) { // not rateLimited or expel: the frame is counted as auth.refresh
	case warn:
		c.Send(protocol.WithRef(protocol.ErrorFrame(protocol.CodeRateLimited, "too many token refreshes; slow down"), in.Ref))
		return
	case expel:
		c.Close(protocol.ClosePolicy, "rate limit exceeded repeatedly")
		return
	}
	claims, err := h.verifier.Verify(in.Token)
	home := c.rooms.home
	if err != nil || claims.Subject != c.user || (home != "" && c.rooms.has(home) && !claims.MayJoin(home)) {
		c.Send(protocol.WithRef(protocol.ErrorFrame(protocol.CodeTokenInvalid, "token does not verify, names another user or does not allow this room"), in.Ref))
		return
	}
	c.claims = h.hooked(claims)
	c.token.set(claims.ExpiresAt, c)
	var exp int64
	if !claims.ExpiresAt.IsZero() {
		exp = claims.ExpiresAt.UnixMilli()
	}
	c.Send(protocol.WithRef(protocol.AuthRefreshed(exp), in.Ref))
	c.leaveForbidden(claims)
}

// leaveForbidden leaves every room the claims no longer allow.
func (c *Conn) leaveForbidden(claims auth.Claims) {
	for _, room := range c.rooms.names() {
		if claims.MayJoin(room) {
			continue
		}
		if mb := c.rooms.remove(room); mb != nil {
			c.leaveLater(mb, protocol.LeftForbidden, "")
		}
	}
}
