package hub

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/redisbus"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
)

// recorder keeps what the hub records, in order: the consumer's side of
// webhook.Recorder, which delivery (package webhook) tests on its own.
type recorder struct {
	mu     sync.Mutex
	events []webhook.Event
	calls  int
}

func (r *recorder) Record(events ...webhook.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	r.calls++
}

// callCount is how many times Record was called.
func (r *recorder) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// take returns the events recorded since the last take.
func (r *recorder) take() []webhook.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	events := r.events
	r.events = nil
	return events
}

// twoNodes returns two hubs that share one backend, as two rt nodes share
// a Redis: each with its own bus and presence tracker over the shared
// store.
type twoNodes func(t *testing.T) (a, b *Hub)

// backends are where the webhook tests run: the memory bus and store shared
// by two hubs, and a real Redis with a client per hub.
var backends = map[string]twoNodes{"memory": memoryNodes, "redis": redisNodes}

func memoryNodes(t *testing.T) (a, b *Hub) {
	shared, store := newMemory(), presence.NewMemory(time.Minute)
	node := func() *Hub {
		h := newHub(shared, presence.NewTracker(store, time.Minute, discard), NewULIDs(), Limits{MaxMessageBytes: 4096}, discard)
		t.Cleanup(h.Stop)
		return h
	}
	return node(), node()
}

func redisNodes(t *testing.T) (a, b *Hub) {
	srv := redistest.Start(t)
	return redisNode(t, srv), redisNode(t, srv)
}

// redisNode is one node of redis mode: its own client, bus and tracker on
// srv. The cleanups run in reverse: hub, bus, client.
func redisNode(t *testing.T, srv *redistest.Server) *Hub {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	stats := redis.NewStats()
	b := redisbus.New(c, bus.Settings{Size: 200, TTL: time.Hour}, stats, nil, discard)
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	tr := presence.NewTracker(redisbus.NewPresence(c, time.Minute, stats), time.Minute, discard)
	h := newHub(b, tr, NewULIDs(), Limits{MaxMessageBytes: 4096}, discard)
	t.Cleanup(h.Stop)
	return h
}

// withRecorder gives h a recorder, as provideHub does with the webhook
// module's.
func withRecorder(h *Hub) *recorder {
	r := &recorder{}
	h.webhooks = r
	return r
}

// summary is an event as "type room user", what most checks compare.
func summary(events []webhook.Event) []string {
	s := make([]string, len(events))
	for i, e := range events {
		s[i] = e.Type + " " + e.Room + " " + e.User
	}
	return s
}

// wantEvents checks the events' summaries, and that each is as Record
// takes it: no id yet, a ts from the test's own span, a user exactly on
// presence events, a message only on message.published.
func wantEvents(t *testing.T, events []webhook.Event, since int64, want ...string) {
	t.Helper()
	if got := summary(events); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	until := time.Now().UnixMilli()
	for _, e := range events {
		room := e.Type == webhook.RoomOccupied || e.Type == webhook.RoomVacated
		switch {
		case e.ID != "":
			t.Errorf("%s: id %q, want none (Record gives it)", e.Type, e.ID)
		case e.TS < since || e.TS > until:
			t.Errorf("%s: ts %d, want within [%d, %d]", e.Type, e.TS, since, until)
		case room == (e.User != ""):
			t.Errorf("%s: user %q", e.Type, e.User)
		case (e.Type == webhook.MessagePublished) != (e.Message != nil):
			t.Errorf("%s: message %+v", e.Type, e.Message)
		}
	}
}

// joinT joins c on h, failing the test on an error.
func joinT(t *testing.T, h *Hub, c Client) *Joined {
	t.Helper()
	js, errs := h.JoinAll(t.Context(), []Client{c})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	return js[0]
}
