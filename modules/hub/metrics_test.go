package hub

import (
	"testing"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/protocol"
)

// refusing is a member whose queue is full: Send queues nothing.
type refusing struct{}

func (refusing) Send([]byte) bool { return false }

func (refusing) SendState([]byte) bool { return false }

func (refusing) Signal([]byte, string) bool { return false }
func (refusing) Replay([]byte) bool         { return false }

func TestMetricsCountQueuedDeliveriesAndChatLatency(t *testing.T) {
	mgr := New(newMemory())
	join(t, mgr, "r1", &member{})
	join(t, mgr, "r1", &member{})
	join(t, mgr, "r1", refusing{})
	lone := &member{}
	join(t, mgr, "r2", lone)

	for _, msg := range []bus.Message{
		{Room: "r1", ID: "id1", At: protocol.Now(), Frame: protocol.Delivery("r1", "u", "one", nil, "id1", protocol.Now())},
		{Room: "r1", ID: "id2", At: protocol.Now(), Frame: protocol.Delivery("r1", "u", "two", nil, "id2", protocol.Now())},
		{Room: "r1", At: protocol.Now(), Frame: protocol.PresenceJoin("r1", "u", protocol.Now())},
	} {
		if err := mgr.hub.bus.Publish(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}

	m := metricstest.Gather(t, mgr.hub.Collectors()...)
	if got := m.Value("rt_deliveries_total"); got != 6 {
		t.Errorf("rt_deliveries_total = %v, want 6 (3 frames x 2 members that queued them)", got)
	}
	if got := m.Value("rt_delivery_latency_seconds"); got != 2 {
		t.Errorf("rt_delivery_latency_seconds observations = %v, want 2 (chat deliveries only)", got)
	}
	if got := m.Value("rt_rooms"); got != 2 {
		t.Errorf("rt_rooms = %v, want 2", got)
	}
	mgr.Leave("r2", lone)
	if got := metricstest.Gather(t, mgr.hub.Collectors()...).Value("rt_rooms"); got != 1 {
		t.Errorf("rt_rooms after r2's last member left = %v, want 1", got)
	}
}
