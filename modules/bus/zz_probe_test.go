package bus

import (
	"testing"

	"github.com/redis/rueidis"

	"rt/modules/redis/redistest"
)

func TestProbeStartRace(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	obs := newClient(t, srv.Addr())
	b := NewRedis(func() rueidis.Client { return c })
	b.Start()
	t.Cleanup(b.Stop)
	r := newRecorder()
	subscribe(t, b, "x", r)
	b.syncMu.Lock()
	t.Logf("conn nil after Subscribe: %v, active=%v", b.conn == nil, b.active)
	b.syncMu.Unlock()
	m, _ := obs.Do(t.Context(), obs.B().PubsubNumsub().Channel("rt:room:x").Build()).AsIntMap()
	t.Logf("numsub %v", m)
	publish(t, b, "x", "f")
	r.waitFor(t, "f")
}
