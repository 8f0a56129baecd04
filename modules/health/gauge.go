package health

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtserver/rt/modules/health/check"
)

// readiness exports what /readyz would answer as gauges, so that an alert
// can see a node that lost Redis even where no load balancer probes it.
// The checks run when Prometheus scrapes, not on a ticker of their own:
// each value is as fresh as the scrape, no goroutine outlives the app, and
// a node nobody scrapes sends Redis nothing more. The checks of one scrape
// share probeTimeout, well inside Prometheus's default scrape timeout
// (10 s).
type readiness struct {
	checks []check.Check
	ready  *prometheus.Desc
	each   *prometheus.Desc
}

func newReadiness(in check.All) []prometheus.Collector {
	return []prometheus.Collector{&readiness{
		checks: in.Checks,
		ready: prometheus.NewDesc("rt_ready",
			"1 when every readiness check passed at this scrape (what /readyz answers 200 for), 0 otherwise.", nil, nil),
		each: prometheus.NewDesc("rt_ready_check",
			"1 when the readiness check (redis, presence) passed at this scrape, 0 when it failed.", []string{"check"}, nil),
	}}
}

func (r *readiness) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.ready
	ch <- r.each
}

// Collect runs every check, not only up to the first failure as /readyz
// does, so that each one's gauge is right.
func (r *readiness) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	ready := 1.0
	for _, c := range r.checks {
		passed := 1.0
		if c.Probe(ctx) != nil {
			passed, ready = 0, 0
		}
		ch <- prometheus.MustNewConstMetric(r.each, prometheus.GaugeValue, passed, c.Name)
	}
	ch <- prometheus.MustNewConstMetric(r.ready, prometheus.GaugeValue, ready)
}
