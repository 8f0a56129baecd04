package hooks

import (
	"context"
	"log/slog"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Connect is what the connect hook asks the backend (CONNECT_HOOK_URL):
// may User open a socket (Room the handshake's room, "" for /ws) or join
// Room? Its body is {"user":U,"room":R|null,"claims":{..},"remote":"ip"}.
type Connect struct {
	User string
	// Room is the room asked for; "" (a handshake on /ws) is sent as null.
	Room string
	// Claims is the token's payload, the JSON object as the issuer wrote
	// it; nil is sent as {}.
	Claims jsontext.Value
	// Remote is the client's address, as the handshake limit reads it
	// (behind TRUSTED_PROXIES, the address X-Forwarded-For vouches for).
	Remote string
}

type connectBody struct {
	User   string         `json:"user"`
	Room   *string        `json:"room"`
	Claims jsontext.Value `json:"claims"`
	Remote string         `json:"remote"`
}

func (c Connect) body() ([]byte, error) {
	b := connectBody{User: c.User, Claims: c.Claims, Remote: c.Remote}
	if c.Room != "" {
		b.Room = &c.Room
	}
	if len(b.Claims) == 0 {
		b.Claims = jsontext.Value("{}")
	}
	return json.Marshal(b)
}

// Gate decides whether a connection may open, or join a room.
type Gate interface {
	// Admit returns nil to allow, a *Refusal with CodeDenied when the
	// backend said no, or ErrUnavailable (wrapped) when it could not
	// answer and the hook fails closed.
	Admit(ctx context.Context, c Connect) error
}

// connectHook is the Gate that asks CONNECT_HOOK_URL.
type connectHook struct{ hook }

// NewGate returns the Gate asking url through c.
func NewGate(c *Caller, url string, failOpen bool, stats *Stats, log *slog.Logger) Gate {
	return &connectHook{newHook("connect", url, c, failOpen, stats, log)}
}

func (g *connectHook) Admit(ctx context.Context, c Connect) error {
	body, err := c.body()
	if err != nil { // claims that are not JSON: not the verifier's
		_, err = g.failed(ctx, err)
		return err
	}
	a, err := g.ask(ctx, body)
	switch {
	case err != nil:
		return err
	case !a.Allow:
		g.stats.Count(g.name, "denied")
		return &Refusal{Code: CodeDenied, Reason: Sanitize(a.Reason)}
	}
	g.stats.Count(g.name, "allowed")
	return nil
}
