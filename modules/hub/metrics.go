package hub

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtserver/rt/modules/bus"
)

// latencyBuckets span a healthy node (about a millisecond) to a stalled
// one (seconds), in seconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// stats are the hub's metrics.
type stats struct {
	published  prometheus.Counter
	deliveries prometheus.Counter
	latency    prometheus.Histogram
	// history
	appends       prometheus.Counter
	historyErrors *prometheus.CounterVec // by op: append, read
	recoveries    *prometheus.CounterVec // by complete: true, false
	replayed      prometheus.Counter
	gapFills      *prometheus.CounterVec // by result: complete, incomplete, failed
	gapRecovered  prometheus.Counter
	duplicates    prometheus.Counter
}

func newStats() stats {
	return stats{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_messages_published_total",
			Help: "Chat messages this node published to their room, from its clients or the server API.",
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
		appends: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_history_appends_total",
			Help: "Chat messages this node stored in history (and so published).",
		}),
		historyErrors: labelled(prometheus.CounterOpts{
			Name: "rt_history_errors_total",
			Help: "Failed history operations by op: append (the message was neither stored nor published), read.",
		}, "op", "append", "read"),
		recoveries: labelled(prometheus.CounterOpts{
			Name: "rt_history_recoveries_total",
			Help: "Joins with since, by whether the recovery was complete.",
		}, "complete", "true", "false"),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_history_replayed_total",
			Help: "Messages replayed from history to clients that joined with since.",
		}),
		gapFills: labelled(prometheus.CounterOpts{
			Name: "rt_history_gap_fills_total",
			Help: "Rooms whose missed messages were read back from history after a Pub/Sub loss, by result: complete, incomplete (history no longer held them all), failed (history unreadable).",
		}, "result", "complete", "incomplete", "failed"),
		gapRecovered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_history_gap_recovered_total",
			Help: "Messages a gap fill delivered that the Pub/Sub link had missed.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_history_duplicates_dropped_total",
			Help: "Chat messages dropped because this node had delivered them already (a gap fill and the live stream overlap).",
		}),
	}
}

// labelled is a counter vector with one label whose values are all present
// from the start.
func labelled(opts prometheus.CounterOpts, label string, values ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(opts, []string{label})
	for _, value := range values {
		v.WithLabelValues(value)
	}
	return v
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
	s := h.stats
	return []prometheus.Collector{rooms, s.published, s.deliveries, s.latency,
		s.appends, s.historyErrors, s.recoveries, s.replayed, s.gapFills, s.gapRecovered, s.duplicates}
}
