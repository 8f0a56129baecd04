package e2e

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/fx"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logTo has the node log to w instead of stderr.
func logTo(w io.Writer) fx.Option {
	return fx.Decorate(func(*slog.Logger) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) })
}

// TestAccessLogNeverHoldsTokens handshakes with valid and invalid tokens in
// the query and in the Authorization header, then reads the captured log.
func TestAccessLogNeverHoldsTokens(t *testing.T) {
	logs := &lockedBuffer{}
	n := startNode(t, testConfig(), logTo(logs))

	valid := token(t, "alice")
	forged := signWith(t, jwt.SigningMethodHS256, []byte("wrong"), jwt.MapClaims{"sub": "eve"})
	c := dialWith(t, n.wsURL("logged")+"?token="+valid, http.Header{"Origin": {origin}})
	c.expect("presence.join")
	dialWith(t, n.wsURL("logged"), http.Header{"Origin": {origin}, "Authorization": {"Bearer " + token(t, "bob")}}).expect("presence.join", "presence.join")
	for _, h := range []http.Header{{}, {"Authorization": {"Bearer " + forged}}} {
		url := n.wsURL("logged")
		if len(h) == 0 {
			url += "?token=" + forged
		}
		h.Set("Origin", origin)
		if _, resp, err := dialRaw(url, h); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("forged token accepted or wrong status: %v", err)
		}
	}

	out := logs.String()
	for _, secret := range []string{valid, forged, token(t, "bob"), "token="} {
		if strings.Contains(out, secret[len(secret)/2:]) {
			t.Fatalf("log holds token material %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"status=101", "room=logged", "user=alice", "user=bob",
		"status=401", "reason=token_invalid",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
