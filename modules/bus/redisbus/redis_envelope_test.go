package bus

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"rt/modules/metrics/metricstest"
	"rt/modules/redis"
)

// logBuffer collects log output written from the bus's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Something other than an rt bus publishing on a room channel (an older rt,
// a redis-cli) must not reach the room's members: each such payload is
// dropped, counted as a Pub/Sub error and logged with the room but without
// the payload, which anyone could have written.
func TestRedisDropsMalformedPayloads(t *testing.T) {
	var logs logBuffer
	b, env := startRedisBusLogging(t, slog.New(slog.NewTextHandler(&logs, nil)))
	r := newRecorder()
	subscribe(t, b, "mixed", r)
	foreign := []string{
		`{"type":"message","text":"secret-raw-frame"}`,
		"secret-without-newline",
		"-5 id\nsecret-negative-at",
		"",
	}
	for _, p := range foreign {
		cmd := env.obs.B().Publish().Channel(ChannelPrefix + "mixed").Message(p).Build()
		if err := env.obs.Do(t.Context(), cmd).Error(); err != nil {
			t.Fatalf("PUBLISH %q: %v", p, err)
		}
	}
	// Published after the foreign payloads on one Redis, so it arrives last.
	publish(t, b, "mixed", "fence")
	r.waitFor(t, "fence")
	r.want(t, "mixed", "fence")

	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPubSub); got != float64(len(foreign)) {
		t.Errorf("pubsub errors = %v, want %d", got, len(foreign))
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN msg=\"bus: dropped a malformed message on a room channel\" room=mixed"); n != len(foreign) {
		t.Errorf("%d warnings naming the room, want %d; log:\n%s", n, len(foreign), out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("the log quotes a payload:\n%s", out)
	}
}

// A message whose header would not decode to the same ID and At is refused
// by Publish, not sent: no other node would get it unchanged.
func TestRedisPublishRefusesWhatTheEnvelopeCannotCarry(t *testing.T) {
	b, _ := startRedisBus(t)
	r := newRecorder()
	subscribe(t, b, "strict", r)
	for _, m := range []Message{
		{Room: "strict", ID: "x", At: -1, Frame: []byte("negative")},
		{Room: "strict", ID: "a\nb", At: 1, Frame: []byte("newline")},
	} {
		if err := b.Publish(t.Context(), m); err == nil {
			t.Errorf("Publish(%+v): no error", m)
		}
	}
	publish(t, b, "strict", "fence")
	r.waitFor(t, "fence")
	r.want(t, "strict", "fence")
	// Redis was never asked, so it is not a Redis failure.
	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPublish); got != 0 {
		t.Errorf("publish errors = %v, want 0", got)
	}
}
