package hooks

import (
	"context"
	"log/slog"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Publish is a message the publish hook asks the backend about
// (PUBLISH_HOOK_URL) before it is stored: {"room":R,"user":U,"text":..,
// "data":..}, text and data left out when the message has none.
type Publish struct {
	Room, User, Text string
	// Data is the message's data, compact JSON; nil for none.
	Data []byte
}

type publishBody struct {
	Room string         `json:"room"`
	User string         `json:"user"`
	Text string         `json:"text,omitzero"`
	Data jsontext.Value `json:"data,omitzero"` // omitzero, not omitempty: data [] or {} is data
}

// Moderator decides what of a message is stored and delivered.
type Moderator interface {
	// Moderate returns the message to store: p itself, or p with the text
	// and/or data the backend replaced (which the caller must check as it
	// checked p). Errors are a *Refusal with CodeRejected when the backend
	// said no, or ErrUnavailable (wrapped) when it could not answer and the
	// hook fails closed.
	Moderate(ctx context.Context, p Publish) (Publish, error)
}

// publishHook is the Moderator that asks PUBLISH_HOOK_URL.
type publishHook struct{ hook }

// NewModerator returns the Moderator asking url through c.
func NewModerator(c *Caller, url string, failOpen bool, stats *Stats, log *slog.Logger) Moderator {
	return &publishHook{newHook("publish", url, c, failOpen, stats, log)}
}

func (m *publishHook) Moderate(ctx context.Context, p Publish) (Publish, error) {
	body, err := json.Marshal(publishBody{Room: p.Room, User: p.User, Text: p.Text, Data: p.Data})
	if err != nil { // data that is not JSON: not what the decoder passes
		_, err = m.failed(ctx, err)
		return p, err
	}
	a, err := m.ask(ctx, body)
	switch {
	case err != nil:
		return p, err
	case !a.Allow:
		m.stats.Count(m.name, "rejected")
		return p, &Refusal{Code: CodeRejected, Reason: Sanitize(a.Reason)}
	case a.Text == nil && a.Data == nil:
		m.stats.Count(m.name, "allowed")
		return p, nil
	}
	m.stats.Count(m.name, "rewritten")
	return rewrite(p, a), nil
}

// rewrite applies an answer's text and data to p: a field the answer left
// out is kept, "text":"" clears the text, "data":null the data.
func rewrite(p Publish, a Answer) Publish {
	if a.Text != nil {
		p.Text = *a.Text
	}
	switch {
	case a.Data == nil:
	case a.Data.Kind() == 'n':
		p.Data = nil
	default:
		p.Data = []byte(a.Data)
	}
	return p
}
