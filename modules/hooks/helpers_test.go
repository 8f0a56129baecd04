package hooks

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Every test leaves no goroutine behind: no caller's connection, no
// backend's handler.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testSecret = "test-hook-secret-0123456789"

// hangGuard bounds every wait on a condition in these tests; it is never
// a timing assertion.
const hangGuard = 10 * time.Second

// backend is the application's backend in a test: a real HTTP server that
// checks every request as a backend would (a POST of JSON signed with the
// secret, hooks.Verify) and then lets serve answer. It counts the
// connections it has open, so a test can see the caller's go away.
type backend struct {
	*httptest.Server
	t       *testing.T
	open    atomic.Int64 // connections not yet closed
	conns   atomic.Int64 // connections ever opened
	unsound atomic.Int64 // requests that failed the backend's checks
	mu      sync.Mutex
	bodies  [][]byte
	release chan struct{} // closed when the test ends, to free handlers that wait
}

func newBackend(t *testing.T, serve http.HandlerFunc) *backend {
	t.Helper()
	b := startBackend(t, serve)
	t.Cleanup(func() {
		if n := b.unsound.Load(); n > 0 {
			t.Errorf("%d requests were not signed POSTs of JSON", n)
		}
	})
	return b
}

// startBackend is newBackend for a test that sends unsound requests on
// purpose: they are answered 401 and counted in unsound.
func startBackend(t *testing.T, serve http.HandlerFunc) *backend {
	t.Helper()
	b := &backend{t: t, release: make(chan struct{})}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || !b.sound(r, body) {
			b.unsound.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b.mu.Lock()
		b.bodies = append(b.bodies, body)
		b.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		serve(w, r)
	}))
	b.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			b.open.Add(1)
			b.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			b.open.Add(-1)
		}
	}
	b.Start()
	t.Cleanup(b.Close)                     // runs second: waits for the handlers
	t.Cleanup(func() { close(b.release) }) // runs first: frees them
	return b
}

// sound is the backend's check of a request: rt's headers and a signature
// that verifies with the shared secret, made within the last minute.
func (b *backend) sound(r *http.Request, body []byte) bool {
	return r.Method == http.MethodPost && r.Header.Get("Content-Type") == "application/json" &&
		r.Header.Get(HookHeader) != "" &&
		Verify([]byte(testSecret), r.Header.Get(SignatureHeader), body, time.Now(), time.Minute) == nil
}

// received is the bodies of the requests served so far.
func (b *backend) received() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.bodies...)
}

// replying is a handler that answers status and body.
func replying(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// eventually waits until cond holds, failing the test past hangGuard.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", hangGuard, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
