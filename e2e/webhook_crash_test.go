package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// crashHookTimeout keeps the takeover quick: a batch a dead node held is
// claimed by another after ten times HOOK_TIMEOUT.
const crashHookTimeout = 300 * time.Millisecond

// Events produced on a node that is then killed with SIGKILL while the
// backend is down are delivered by another node once the backend is back,
// under the ids the dead node first sent them with (SPEC §11: in redis
// mode an rt node that crashes loses none).
func TestWebhookEventsOutliveACrashedNode(t *testing.T) {
	srv := redistest.Start(t)
	var down atomic.Bool // the backend answers 503 while down, as one deploying would
	down.Store(true)
	var mu sync.Mutex
	sent := make(map[string]bool) // every event id the backend was sent while down
	backend := webhooktest.NewBackend(t, func(_ int, b webhooktest.Batch) int {
		if !down.Load() {
			return http.StatusNoContent
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range b.IDs() {
			sent[id] = true
		}
		return http.StatusServiceUnavailable
	})
	a := startProcess(t, map[string]string{
		"REDIS_URL": srv.URL(), "WEBHOOK_URL": backend.URL(), "HOOK_SECRET": webhooktest.Secret,
		"HOOK_TIMEOUT": crashHookTimeout.String(),
	})
	alice := dialWith(t, a.wsURL("crash")+"?token="+token(t, "alice"), http.Header{"Origin": {origin}})
	alice.ready()
	for i := range 3 {
		alice.chat(fmt.Sprintf("m%d", i))
		alice.expect("chat.delivery", "presence.join", "presence.diff")
	}
	// Node A has taken all five from Redis and sent them at least once: they
	// are its pending batch when it dies.
	const produced = 5 // room.occupied, presence.join, 3 × message.published
	backend.Await("node A's five events sent", func(batches []webhooktest.Batch) bool {
		ids := make(map[string]bool)
		for _, b := range batches {
			for _, id := range b.IDs() {
				ids[id] = true
			}
		}
		return len(ids) >= produced
	})
	a.kill()
	mu.Lock()
	firstSent := maps.Clone(sent)
	mu.Unlock()

	cfg := testConfig()
	cfg.RedisURL, cfg.WebhookURL, cfg.HookSecret, cfg.HookTimeout = srv.URL(), backend.URL(), webhooktest.Secret, crashHookTimeout
	startNode(t, cfg) // node B, started after the crash: it must find A's batch by itself
	down.Store(false)
	backend.Await("node A's five events accepted", func([]webhooktest.Batch) bool {
		return len(inRoom(backend.Accepted(), "crash")) >= produced
	})
	crash := inRoom(backend.Accepted(), "crash")
	var types, texts []string
	for _, e := range crash {
		types = append(types, e.Type)
		if !firstSent[e.ID] {
			t.Errorf("event %s %s was delivered under an id node A never sent", e.Type, e.ID)
		}
		if e.Message != nil {
			texts = append(texts, e.Message.Text)
		}
	}
	slices.Sort(types)
	want := []string{"message.published", "message.published", "message.published", "presence.join", "room.occupied"}
	if !slices.Equal(types, want) || len(crash) != produced {
		t.Errorf("delivered %v, want %v once each", types, want)
	}
	slices.Sort(texts)
	if !slices.Equal(texts, []string{"m0", "m1", "m2"}) {
		t.Errorf("message texts %v", texts)
	}
}

// inRoom keeps the events of room.
func inRoom(evs []webhook.Event, room string) []webhook.Event {
	var out []webhook.Event
	for _, e := range evs {
		if e.Room == room {
			out = append(out, e)
		}
	}
	return out
}
