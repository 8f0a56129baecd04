package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/webhook"
)

// hookSecret signs the requests of every hook in the tests.
const hookSecret = "e2e-hook-secret-0123456789"

// eventBackend is a real HTTP backend for WEBHOOK_URL. It checks every
// batch's signature, records every event it is sent, and answers 503
// while down, as a backend that is deploying or broken would.
type eventBackend struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	down     bool
	sent     map[string]int           // event id → times it was sent
	accepted map[string]webhook.Event // event id → the event, once answered 2xx
	order    []string                 // ids in the order first accepted
	changed  chan struct{}            // signalled on every batch
}

func newEventBackend(t *testing.T) *eventBackend {
	b := &eventBackend{t: t, sent: make(map[string]int), accepted: make(map[string]webhook.Event), changed: make(chan struct{}, 1)}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *eventBackend) url() string { return b.srv.URL + "/events" }

func (b *eventBackend) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := hooks.Verify([]byte(hookSecret), r.Header.Get(hooks.SignatureHeader), body, time.Now(), time.Minute); err != nil ||
		r.Header.Get(hooks.HookHeader) != "webhook" {
		b.t.Errorf("webhook batch not signed as rt signs: %v (hook %q)", err, r.Header.Get(hooks.HookHeader))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var batch struct {
		Events []webhook.Event `json:"events"`
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		b.t.Errorf("webhook batch: %v: %s", err, body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	down := b.down
	for _, e := range batch.Events {
		b.sent[e.ID]++
		if _, ok := b.accepted[e.ID]; !ok && !down {
			b.accepted[e.ID] = e
			b.order = append(b.order, e.ID)
		}
	}
	b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
	if down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (b *eventBackend) setDown(down bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = down
}

// events are the accepted events, in the order first accepted.
func (b *eventBackend) events() []webhook.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]webhook.Event, len(b.order))
	for i, id := range b.order {
		out[i] = b.accepted[id]
	}
	return out
}

// timesSent is how many times the event with id was sent.
func (b *eventBackend) timesSent(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sent[id]
}

// sentIDs are the ids of every event sent so far, accepted or not.
func (b *eventBackend) sentIDs() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.sent))
	for id, n := range b.sent {
		out[id] = n
	}
	return out
}

// waitFor waits until ok holds of the accepted events, failing after a
// generous bound (a hang guard, not a timing assertion).
func (b *eventBackend) waitFor(what string, bound time.Duration, ok func([]webhook.Event) bool) []webhook.Event {
	b.t.Helper()
	deadline := time.After(bound)
	for {
		if evs := b.events(); ok(evs) {
			return evs
		}
		select {
		case <-b.changed:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			b.t.Fatalf("webhooks: %s not seen within %s; accepted %v", what, bound, summary(b.events()))
		}
	}
}

// summary is each event's type, room, user and message text, for messages.
func summary(evs []webhook.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type + " " + e.Room + " " + e.User
		if e.Message != nil {
			out[i] += " " + e.Message.Text
		}
	}
	return out
}
