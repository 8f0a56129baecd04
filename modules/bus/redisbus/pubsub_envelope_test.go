package redisbus

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/logging/logtest"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/redis"
)

// Something other than an rt bus publishing on a room channel (an older rt,
// a redis-cli) must not reach the room's members: each such payload is
// dropped, counted as a Pub/Sub error and logged with the room but without
// the payload, which anyone could have written.
func TestRedisDropsMalformedPayloads(t *testing.T) {
	var logs logtest.Buffer
	b, env := startRedisBusLogging(t, slog.New(slog.NewTextHandler(&logs, nil)))
	r := bustest.NewRecorder()
	bustest.Subscribe(t, b, "mixed", r)
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
	bustest.Publish(t, b, "mixed", "fence")
	r.WaitFor(t, "fence")
	r.Want(t, "mixed", "fence")

	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPubSub); got != float64(len(foreign)) {
		t.Errorf("pubsub errors = %v, want %d", got, len(foreign))
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN msg=\"redisbus: dropped a malformed message on a room channel\" room=mixed"); n != len(foreign) {
		t.Errorf("%d warnings naming the room, want %d; log:\n%s", n, len(foreign), out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("the log quotes a payload:\n%s", out)
	}
}

// A message whose header would not decode to the same ID, At and From is
// refused by Publish, not sent: no other node would get it unchanged.
func TestRedisPublishRefusesWhatTheEnvelopeCannotCarry(t *testing.T) {
	b, _ := startRedisBus(t)
	r := bustest.NewRecorder()
	bustest.Subscribe(t, b, "strict", r)
	for _, m := range []bus.Message{
		{Room: "strict", ID: "x", At: -1, Frame: []byte("negative")},
		{Room: "strict", ID: "a\nb", At: 1, Frame: []byte("newline")},
		{Room: "strict", ID: "a b", At: 1, Frame: []byte("space in id")},
		{Room: "strict", At: 1, From: "u\n1", Frame: []byte("newline in from")},
	} {
		if err := b.Publish(t.Context(), m); err == nil {
			t.Errorf("Publish(%+v): no error", m)
		}
	}
	bustest.Publish(t, b, "strict", "fence")
	r.WaitFor(t, "fence")
	r.Want(t, "strict", "fence")
	// Redis was never asked, so it is not a Redis failure.
	if got := metricstest.Gather(t, b.stats.Collectors()...).Value("rt_redis_errors_total", "op", redis.OpPublish); got != 0 {
		t.Errorf("publish errors = %v, want 0", got)
	}
}
