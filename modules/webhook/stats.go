package webhook

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats are the webhook metrics. The calls themselves are counted with the
// other hooks' (rt_hook_calls_total{hook="webhook"}).
type Stats struct {
	events    *prometheus.CounterVec
	delivered prometheus.Counter
	dropped   prometheus.Counter
	retries   prometheus.Counter
	backlog   prometheus.Gauge
}

// NewStats returns zeroed metrics, every event type present.
func NewStats() *Stats {
	s := &Stats{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_webhook_events_total",
			Help: "Events recorded for the webhook, by type.",
		}, []string{"type"}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_webhook_delivered_total",
			Help: "Events the backend accepted (a 2xx answer to their batch); retried ones count once per acceptance.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_webhook_dropped_total",
			Help: "Events dropped, the oldest first, to keep WEBHOOK_BACKLOG: in this node's buffer or in the queue.",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_webhook_retries_total",
			Help: "Batches sent again after a failed attempt (not 2xx, timeout, unreachable).",
		}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rt_webhook_backlog",
			Help: "Events waiting for delivery, as this node last saw them: its buffer plus the queue (in redis mode the queue is every node's).",
		}),
	}
	for _, t := range []string{RoomOccupied, RoomVacated, PresenceJoin, PresenceLeave, MessagePublished} {
		s.events.WithLabelValues(t)
	}
	return s
}

// Collectors are the metrics, for the metrics module.
func (s *Stats) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.events, s.delivered, s.dropped, s.retries, s.backlog}
}

// warnEvery is the most often one kind of warning is logged: a backend
// that is down, or a backlog that overflows, would otherwise log per
// event or per retry.
const warnEvery = 10 * time.Second

// throttle lets one kind of warning through at most once per warnEvery,
// and counts what happened between two.
type throttle struct {
	mu    sync.Mutex
	last  time.Time
	count int
}

// note counts n more.
func (t *throttle) note(n int) {
	t.mu.Lock()
	t.count += n
	t.mu.Unlock()
}

// due reports whether to log now, with the count since the last log.
func (t *throttle) due(now time.Time) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.count == 0 || (!t.last.IsZero() && now.Sub(t.last) < warnEvery) {
		return 0, false
	}
	n := t.count
	t.count, t.last = 0, now
	return n, true
}

// flush returns what was counted and not logged yet.
func (t *throttle) flush() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.count
	t.count = 0
	return n
}
