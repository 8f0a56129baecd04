package hooks

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats are the metrics of every hook: calls by outcome and latency.
type Stats struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewStats returns the hook metrics, registered nowhere.
func NewStats() *Stats {
	return &Stats{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_hook_calls_total",
			Help: "Calls to the application's backend by hook (connect, publish, webhook) and outcome: " +
				"allowed, denied, rewritten, rejected, delivered, failed_open, timeout, status (not 2xx), bad_answer, error.",
		}, []string{"hook", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rt_hook_duration_seconds",
			Help:    "Time from asking the backend to its whole answer (or the failure), by hook.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"hook"}),
	}
}

// Count adds one call of hook with outcome.
func (s *Stats) Count(hook, outcome string) {
	if s != nil {
		s.calls.WithLabelValues(hook, outcome).Inc()
	}
}

func (s *Stats) observe(hook string, d time.Duration) {
	if s != nil {
		s.duration.WithLabelValues(hook).Observe(d.Seconds())
	}
}

// Collectors are the metrics, for the metrics module.
func (s *Stats) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.calls, s.duration}
}
