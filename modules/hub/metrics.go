package hub

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"rt/modules/bus"
)

// latencyBuckets span a healthy node (about a millisecond) to a stalled
// one (seconds), in seconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// stats are the hub's metrics.
type stats struct {
	published  prometheus.Counter
	deliveries prometheus.Counter
	latency    prometheus.Histogram
}

func newStats() stats {
	return stats{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_messages_published_total",
			Help: "Chat messages from this node's clients published to their room.",
		}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_deliveries_total",
			Help: "Room frames (chat deliveries, presence joins and leaves) queued to a local connection.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rt_delivery_latency_seconds",
			Help:    "From a chat message's publish (millisecond resolution) to its fan-out on this node.",
			Buckets: latencyBuckets,
		}),
	}
}

// observe records one message fanned out to queued members; only chat
// messages (those with an id) count toward the latency.
func (s stats) observe(m bus.Message, queued int) {
	s.deliveries.Add(float64(queued))
	if m.ID != "" {
		s.latency.Observe(max(0, time.Since(time.UnixMilli(m.At)).Seconds()))
	}
}

// Collectors are the hub's metrics, rooms with local members included.
func (h *Hub) Collectors() []prometheus.Collector {
	rooms := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rt_rooms",
		Help: "Rooms with at least one member on this node.",
	}, func() float64 { return float64(h.rooms.count()) })
	return []prometheus.Collector{rooms, h.stats.published, h.stats.deliveries, h.stats.latency}
}
