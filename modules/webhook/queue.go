package webhook

import (
	"context"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/backoff"
)

// MaxBatch is the most events one request to the backend carries, and the
// most the flusher adds to the Queue at once.
const MaxBatch = 100

// Pending is an event in a Queue, as Take returns it.
type Pending struct {
	// Ref is the queue's own handle of the event, for Hold and Done (in
	// Redis, the stream entry's id).
	Ref string
	// Event is the event's JSON, as Add got it.
	Event jsontext.Value
}

// Queue holds the events waiting for the backend, oldest first. Every
// node's sender takes from it; in redis mode all nodes share one.
//
// A batch Take returned belongs to its taker until Done, or until it has
// been idle (neither done nor held) for the queue's claimAfter: its taker
// is then taken to be dead, and a Take (any node's) returns it again.
type Queue interface {
	// Add appends events, each an Event's JSON, and says how many of
	// the oldest events it dropped to stay within its bound (taken ones
	// too: they are then gone for Hold, Done and claims).
	Add(ctx context.Context, events []jsontext.Value) (dropped int, err error)
	// Take returns at most max events: first events taken before and
	// idle past claimAfter, else events never taken, oldest first. With
	// none to return it waits for some, for a while: it may return none
	// and no error, and its caller asks again.
	Take(ctx context.Context, max int) ([]Pending, error)
	// Hold restarts the idle time of a batch this queue took, before it
	// is sent again, and says how many of its events are still queued
	// (0: all were dropped meanwhile).
	Hold(ctx context.Context, batch []Pending) (held int, err error)
	// Done removes a delivered batch. Events already gone are ignored.
	Done(ctx context.Context, batch []Pending) error
	// Len is how many events are queued, taken or not.
	Len(ctx context.Context) (int, error)
}

// ClaimAfter is how long a taken batch may stay idle before it is taken
// to be a dead node's: long enough that a live sender, which holds its
// batch before each retry (each call lasting at most hookTimeout), never
// loses it, and not under a second.
func ClaimAfter(hookTimeout time.Duration) time.Duration {
	return max(10*hookTimeout, time.Second)
}

// RetryPolicy is the schedule of retries of one batch (and of the
// flusher's retries of a failing Queue): from 200 ms, doubling, at most
// min(30 s, claimAfter/4), so a held batch is held again well within
// claimAfter.
func RetryPolicy(claimAfter time.Duration) backoff.Policy {
	return backoff.Policy{Min: 200 * time.Millisecond, Max: min(30*time.Second, claimAfter/4)}
}
