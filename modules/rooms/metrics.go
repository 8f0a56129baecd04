package rooms

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"rt/modules/protocol"
)

// latencyBuckets span a healthy node (about a millisecond) to a stalled
// one (seconds), in seconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// stats are the fan-out's metrics.
type stats struct {
	deliveries prometheus.Counter
	latency    prometheus.Histogram
}

func newStats() stats {
	return stats{
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_deliveries_total",
			Help: "Room frames (chat deliveries, presence joins and leaves) queued to a local connection.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rt_delivery_latency_seconds",
			Help:    "From a chat message's publish (its ts, millisecond resolution) to its fan-out on this node.",
			Buckets: latencyBuckets,
		}),
	}
}

// observe records one frame fanned out to queued members.
func (s stats) observe(frame []byte, queued int) {
	s.deliveries.Add(float64(queued))
	if ts, ok := protocol.DeliveryTS(frame); ok {
		s.latency.Observe(max(0, time.Since(time.UnixMilli(ts)).Seconds()))
	}
}

// Collectors are the manager's metrics, rooms with local members included.
func (mgr *Manager) Collectors() []prometheus.Collector {
	rooms := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rt_rooms",
		Help: "Rooms with at least one member on this node.",
	}, func() float64 { return float64(mgr.Count()) })
	return []prometheus.Collector{rooms, mgr.stats.deliveries, mgr.stats.latency}
}
