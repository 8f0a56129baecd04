package webhooktest

import (
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/webhook"
)

// Secret is the HOOK_SECRET of the tests.
const Secret = "webhook-test-secret-0123456789"

// Hang is an Answer that keeps the request open until the client gives
// up: a timeout.
const Hang = -1

// Answer is the status the backend answers its n-th request (from 1)
// with; the batch is accepted when it is 2xx.
type Answer func(n int, batch Batch) int

// Batch is one request the backend got.
type Batch struct {
	Events []webhook.Event
	Status int // what it was answered
}

// IDs are the batch's event ids, in order.
func (b Batch) IDs() []string {
	ids := make([]string, len(b.Events))
	for i, e := range b.Events {
		ids[i] = e.ID
	}
	return ids
}

// Backend is the application's backend as a real HTTP server on a fixed
// loopback address, so it can go down and come back. Every request must
// be a signed POST of the webhook hook with {"events":[...]}; anything
// else fails the test.
type Backend struct {
	t      testing.TB
	answer Answer
	addr   string

	mu      sync.Mutex
	srv     *http.Server
	serving sync.WaitGroup
	arrived int     // requests so far, answered or not
	batches []Batch // requests answered
	changed chan struct{}
}

// NewBackend serves until the test ends; answer nil accepts everything.
func NewBackend(t testing.TB, answer Answer) *Backend {
	t.Helper()
	if answer == nil {
		answer = func(int, Batch) int { return http.StatusOK }
	}
	b := &Backend{t: t, answer: answer, changed: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.addr = l.Addr().String()
	b.serve(l)
	t.Cleanup(b.Down)
	return b
}

// URL is the WEBHOOK_URL of the backend.
func (b *Backend) URL() string { return "http://" + b.addr + "/events" }

func (b *Backend) serve(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(b.handle)}
	b.mu.Lock()
	b.srv = srv
	b.mu.Unlock()
	b.serving.Add(1)
	go func() {
		defer b.serving.Done()
		_ = srv.Serve(l)
	}()
}

// Down closes the listener and every connection: the backend is away.
func (b *Backend) Down() {
	b.mu.Lock()
	srv := b.srv
	b.srv = nil
	b.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
	b.serving.Wait()
}

// Up serves again on the same address.
func (b *Backend) Up() {
	b.t.Helper()
	l, err := net.Listen("tcp", b.addr)
	if err != nil {
		b.t.Fatalf("backend back on %s: %v", b.addr, err)
	}
	b.serve(l)
}

func (b *Backend) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var in struct {
		Events []webhook.Event `json:"events"`
	}
	switch {
	case r.Method != http.MethodPost || r.Header.Get(hooks.HookHeader) != "webhook":
		b.t.Errorf("backend: %s with %s %q", r.Method, hooks.HookHeader, r.Header.Get(hooks.HookHeader))
	case hooks.Verify([]byte(Secret), r.Header.Get(hooks.SignatureHeader), body, time.Now(), time.Minute) != nil:
		b.t.Errorf("backend: bad signature %q", r.Header.Get(hooks.SignatureHeader))
	case json.Unmarshal(body, &in, json.RejectUnknownMembers(true)) != nil || len(in.Events) == 0:
		b.t.Errorf("backend: body is not a batch: %s", body)
	}
	b.mu.Lock()
	b.arrived++
	n := b.arrived
	b.changedLocked()
	b.mu.Unlock()
	batch := Batch{Events: in.Events}
	batch.Status = b.answer(n, batch)
	if batch.Status == Hang {
		<-r.Context().Done()
	}
	b.mu.Lock()
	b.batches = append(b.batches, batch)
	b.changedLocked()
	b.mu.Unlock()
	if batch.Status != Hang {
		w.WriteHeader(batch.Status)
	}
}

// changedLocked wakes the waits of Await and AwaitArrived.
func (b *Backend) changedLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// AwaitArrived waits until n requests arrived, answered or not.
func (b *Backend) AwaitArrived(n int) {
	b.t.Helper()
	deadline := time.After(WaitLimit)
	for {
		b.mu.Lock()
		arrived, changed := b.arrived, b.changed
		b.mu.Unlock()
		if arrived >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			b.t.Fatalf("backend: %d requests within %v, want %d", arrived, WaitLimit, n)
		}
	}
}

// Batches are the requests answered so far, in the order they were.
func (b *Backend) Batches() []Batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.batches)
}

// Accepted are the events of the batches answered 2xx, in order.
func (b *Backend) Accepted() []webhook.Event {
	var out []webhook.Event
	for _, batch := range b.Batches() {
		if batch.Status >= 200 && batch.Status <= 299 {
			out = append(out, batch.Events...)
		}
	}
	return out
}

// Await waits until cond holds of the batches so far, for at most
// WaitLimit.
func (b *Backend) Await(what string, cond func([]Batch) bool) []Batch {
	b.t.Helper()
	deadline := time.After(WaitLimit)
	for {
		b.mu.Lock()
		batches, changed := slices.Clone(b.batches), b.changed
		b.mu.Unlock()
		if cond(batches) {
			return batches
		}
		select {
		case <-changed:
		case <-deadline:
			b.t.Fatalf("backend: not within %v: %s; got %d batches", WaitLimit, what, len(batches))
		}
	}
}

// AwaitAccepted waits until n events were accepted, and returns them.
func (b *Backend) AwaitAccepted(n int) []webhook.Event {
	b.t.Helper()
	b.Await("events accepted", func([]Batch) bool { return len(b.Accepted()) >= n })
	return b.Accepted()
}
