package hub

import (
	"context"
	"errors"
	"sync"

	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/protocol"
)

// What a client (or the server API) is told when the publish hook refuses
// a message or cannot be asked.
var (
	// ErrRejected is the refusal of a backend that gave no reason, or that
	// allowed the message but left it with neither text nor data.
	ErrRejected = &protocol.Error{Code: protocol.CodeRejected, Message: "message rejected by the application"}
	// ErrNotModerated is a publish hook that did not answer (fail closed).
	ErrNotModerated = &protocol.Error{Code: protocol.CodeUnavailable, Message: "message not sent; try again"}
)

// moderate asks the publish hook about every message of said that passed
// the checks (errs[i] nil), all at once, and returns said as the hook
// wants it stored; a message it refuses gets its error in errs. A
// replacement is checked as the message was. The answers are taken in
// said's order whatever order they come in, so one client's messages keep
// theirs. Without a hook said is returned as it is.
func (h *Hub) moderate(ctx context.Context, user string, said []Said, errs []error) []Said {
	if h.moderator == nil {
		return said
	}
	out := make([]Said, len(said))
	copy(out, said) // said is the caller's
	ask := func(i int) {
		s := said[i]
		p, err := h.moderator.Moderate(ctx, hooks.Publish{Room: s.Room, User: user, Text: s.Text, Data: s.Data})
		if err != nil {
			errs[i] = moderationError(err)
			return
		}
		out[i].Content = Content{Text: p.Text, Data: p.Data}
		errs[i] = h.checkReplacement(out[i].Content)
	}
	var asked []int
	for i := range said {
		if errs[i] == nil {
			asked = append(asked, i)
		}
	}
	if len(asked) == 1 { // the usual batch: asked on this goroutine
		ask(asked[0])
		return out
	}
	var wg sync.WaitGroup
	for _, i := range asked {
		wg.Go(func() { ask(i) })
	}
	wg.Wait()
	return out
}

// checkReplacement checks what the hook allowed as a message from a client
// is checked: not empty, not over MAX_MESSAGE_BYTES. An answer that
// cleared both text and data leaves nothing to send: rejected.
func (h *Hub) checkReplacement(m Content) error {
	if m.Text == "" && m.Data == nil {
		return ErrRejected
	}
	return h.checkSize(m)
}

// moderationError is the client's error for the hook's refusal or failure.
func moderationError(err error) error {
	var refusal *hooks.Refusal
	switch {
	case errors.As(err, &refusal) && refusal.Reason != "":
		return &protocol.Error{Code: protocol.CodeRejected, Message: refusal.Reason}
	case refusal != nil:
		return ErrRejected
	}
	return ErrNotModerated
}
