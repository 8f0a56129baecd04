package webhooktest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/webhook"
)

// Add adds events and checks how many were dropped.
func Add(t testing.TB, q webhook.Queue, events []jsontext.Value, dropped int) {
	t.Helper()
	n, err := q.Add(t.Context(), events)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if n != dropped {
		t.Errorf("Add dropped %d, want %d", n, dropped)
	}
}

// Take asks until it gets a batch (a Take may return none after a while),
// for at most WaitLimit.
func Take(t testing.TB, q webhook.Queue, limit int) []webhook.Pending {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), WaitLimit)
	defer cancel()
	for {
		batch, err := q.Take(ctx, limit)
		if len(batch) > 0 {
			if err != nil {
				t.Errorf("Take returned events and %v", err)
			}
			return batch
		}
		if ctx.Err() != nil {
			t.Fatalf("Take: nothing within %v", WaitLimit)
		}
		if err != nil {
			t.Fatalf("Take: %v", err)
		}
	}
}

// WantNothing checks that a Take within d returns no event.
func WantNothing(t testing.TB, q webhook.Queue, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	batch, err := q.Take(ctx, webhook.MaxBatch)
	if len(batch) > 0 {
		t.Errorf("Take = %s, want nothing", events(batch))
	}
	if err != nil && ctx.Err() == nil {
		t.Errorf("Take: %v", err)
	}
}

// Done removes the batch.
func Done(t testing.TB, q webhook.Queue, batch []webhook.Pending) {
	t.Helper()
	if err := q.Done(t.Context(), batch); err != nil {
		t.Fatalf("Done: %v", err)
	}
}

// WantLen checks the queue's length.
func WantLen(t testing.TB, q webhook.Queue, want int) {
	t.Helper()
	n, err := q.Len(t.Context())
	if err != nil || n != want {
		t.Errorf("Len = %d, %v; want %d", n, err, want)
	}
}

// WantEvents checks a batch's events, in order.
func WantEvents(t testing.TB, batch []webhook.Pending, want []jsontext.Value) {
	t.Helper()
	got := events(batch)
	if !slices.EqualFunc(got, want, func(a, b jsontext.Value) bool { return string(a) == string(b) }) {
		t.Errorf("batch:\n%s\nwant:\n%s", got, want)
	}
}

func events(batch []webhook.Pending) []jsontext.Value {
	out := make([]jsontext.Value, len(batch))
	for i, p := range batch {
		out[i] = p.Event
	}
	return out
}

func refs(batch []webhook.Pending) []string {
	out := make([]string, len(batch))
	for i, p := range batch {
		out[i] = p.Ref
	}
	return out
}

// Await polls cond every 10ms until it holds, for at most WaitLimit.
func Await(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", WaitLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
