package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// The helpers of the hook tests (SPEC §11): the application's backend is a
// real HTTP server started by the test, which checks every request as a
// backend must (a signed POST, hooks.Verify) and answers with the test's
// functions.

// hookSecret is HOOK_SECRET in these tests, the webhook test backend's
// (webhooktest) too, so that one node can have every hook.
const hookSecret = webhooktest.Secret

// hookTimeout is HOOK_TIMEOUT in these tests: a backend that does not
// answer fails the call this soon.
const hookTimeout = 300 * time.Millisecond

// asked is one request of the connect hook, as the backend read it.
type asked struct {
	User   string         `json:"user"`
	Room   *string        `json:"room"`
	Claims map[string]any `json:"claims"`
	Remote string         `json:"remote"`
}

// moderated is one request of the publish hook, as the backend read it.
type moderated struct {
	Room string          `json:"room"`
	User string          `json:"user"`
	Text string          `json:"text"`
	Data json.RawMessage `json:"data"`
}

// hookBackend is the application's backend. connect and publish return the
// JSON answer to a request; they may wait on ctx (done when rt hangs up or
// the test ends) to stand for a backend that does not answer.
type hookBackend struct {
	url      string
	connect  func(ctx context.Context, a asked) string
	publish  func(ctx context.Context, m moderated) string
	unsigned atomic.Int64
	mu       sync.Mutex
	asked    []asked
	mods     []moderated
}

// startHookBackend starts the backend; either function may be nil (that
// hook is not configured).
func startHookBackend(t *testing.T, connect func(context.Context, asked) string, publish func(context.Context, moderated) string) *hookBackend {
	t.Helper()
	b := &hookBackend{connect: connect, publish: publish}
	ending := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-ending:
				cancel()
			case <-ctx.Done():
			}
		}()
		if answer, ok := b.serve(ctx, r); ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, answer)
		} else {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	b.url = srv.URL
	t.Cleanup(func() {
		if n := b.unsigned.Load(); n > 0 {
			t.Errorf("the backend got %d requests that were not signed POSTs of JSON", n)
		}
	})
	t.Cleanup(srv.Close)                // second: waits for the handlers
	t.Cleanup(func() { close(ending) }) // first: ends the ones that wait
	return b
}

// serve checks r as a backend must and answers it; false for a request
// that fails the check.
func (b *hookBackend) serve(ctx context.Context, r *http.Request) (string, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost ||
		hooks.Verify([]byte(hookSecret), r.Header.Get(hooks.SignatureHeader), body, time.Now(), time.Minute) != nil {
		b.unsigned.Add(1)
		return "", false
	}
	switch r.Header.Get(hooks.HookHeader) {
	case "connect":
		var a asked
		if json.Unmarshal(body, &a) != nil || b.connect == nil {
			break
		}
		b.mu.Lock()
		b.asked = append(b.asked, a)
		b.mu.Unlock()
		return b.connect(ctx, a), true
	case "publish":
		var m moderated
		if json.Unmarshal(body, &m) != nil || b.publish == nil {
			break
		}
		b.mu.Lock()
		b.mods = append(b.mods, m)
		b.mu.Unlock()
		return b.publish(ctx, m), true
	}
	b.unsigned.Add(1)
	return "", false
}

// connects is every connect request so far.
func (b *hookBackend) connects() []asked {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]asked(nil), b.asked...)
}

// hooked is cfg with the backend's hooks configured, HOOK_TIMEOUT short.
func (b *hookBackend) hooked(cfg config.Config) config.Config {
	cfg.HookSecret, cfg.HookTimeout, cfg.HookConcurrency = hookSecret, hookTimeout, 64
	if b.connect != nil {
		cfg.ConnectHookURL = b.url + "/rt/connect"
	}
	if b.publish != nil {
		cfg.PublishHookURL = b.url + "/rt/publish"
	}
	return cfg
}

// never is the answer of a backend that does not answer: it waits until
// rt hangs up (HOOK_TIMEOUT) or the test ends.
func never(ctx context.Context) string {
	<-ctx.Done()
	return ""
}

const allow = `{"allow":true}`

// handshake sends an upgrade request for path and returns the status and
// the JSON body of a refusal.
func handshake(t *testing.T, n *node, path string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+n.addr+path, nil)
	req.Header = upgradeHeaders()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if resp.StatusCode != http.StatusSwitchingProtocols {
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("%s: %d %s is not a JSON object", path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, body
}
