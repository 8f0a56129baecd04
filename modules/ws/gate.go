package ws

import (
	"context"
	"errors"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/server"
)

// localRemote is the Locals key under which the gate leaves the client's
// address for the socket, which tells it the connect hook at each
// room.join.
const localRemote = "rt.remote"

// deniedReason is the reason given for a refusal the backend gave none for.
const deniedReason = "refused by the application"

var errHookUnavailable = fiber.NewError(fiber.StatusServiceUnavailable, "hook_unavailable")

// gate asks the connect hook (CONNECT_HOOK_URL) whether the handshake may
// go on, after every other check (the token verified, the user's place
// on the node free), before the upgrade: 403 hook_denied with the
// backend's reason, 503 hook_unavailable when it did not answer. Only in
// the chain while a connect hook is configured.
func (h *Handler) gate(c *fiber.Ctx) error {
	claims, _ := c.Locals(auth.LocalClaims).(auth.Claims)
	room, _ := c.Locals(auth.LocalRoom).(string)
	remote := h.addrs.of(c).String()
	err := h.hook.Admit(context.Background(), hooks.Connect{User: claims.Subject, Room: room, Claims: claims.Raw, Remote: remote})
	var refusal *hooks.Refusal
	switch {
	case errors.As(err, &refusal):
		return &server.ReasonedError{Status: fiber.StatusForbidden, Code: string(protocol.CodeHookDenied), Reason: reasonOf(refusal)}
	case err != nil:
		return errHookUnavailable
	}
	c.Locals(localRemote, remote)
	return c.Next()
}

// reasonOf is a refusal's reason as the client is told it.
func reasonOf(r *hooks.Refusal) string {
	if r.Reason == "" {
		return deniedReason
	}
	return r.Reason
}

// hookAnswer is the system.error for a connect hook's no to a room.join:
// hook_denied with the backend's reason, or unavailable (the client may
// retry) when it did not answer.
func hookAnswer(err error) *protocol.Error {
	var refusal *hooks.Refusal
	if errors.As(err, &refusal) {
		return &protocol.Error{Code: protocol.CodeHookDenied, Message: reasonOf(refusal)}
	}
	return errJoinFailed
}

// admitJoins asks the connect hook about the rooms of joins, all at once,
// and returns the joins it allowed. The others leave the room set and are
// answered here.
func (h *Handler) admitJoins(ctx context.Context, c *Conn, joins []joinRequest) []joinRequest {
	errs := make([]error, len(joins))
	ask := func(i int) {
		j := joins[i]
		errs[i] = h.hook.Admit(ctx, hooks.Connect{User: c.user, Room: j.mb.room, Claims: j.claims, Remote: c.remote})
	}
	if len(joins) == 1 {
		ask(0)
	} else {
		var wg sync.WaitGroup
		for i := range joins {
			wg.Go(func() { ask(i) })
		}
		wg.Wait()
	}
	allowed := joins[:0]
	for i, j := range joins {
		if errs[i] == nil {
			allowed = append(allowed, j)
			continue
		}
		c.rooms.forget(j.mb)
		c.answer(j.ref, hookAnswer(errs[i]))
	}
	return allowed
}

// hooked is what the connection keeps of claims: the payload only while a
// connect hook is configured, as only the hook reads it, and a socket
// should not carry hundreds of bytes for nothing.
func (h *Handler) hooked(claims auth.Claims) auth.Claims {
	if h.hook == nil {
		claims.Raw = nil
	}
	return claims
}
