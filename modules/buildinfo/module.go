package buildinfo

import (
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/metrics/collect"
)

// Module offers the rt_build_info gauge, so a dashboard can tell which
// version each node runs (and see a rolling deploy progress) from the
// scrape alone.
var Module = fx.Module("buildinfo",
	fx.Provide(collect.As(collectors)),
)

// collectors is rt_build_info: always 1, the build named by its labels,
// the usual Prometheus pattern for an info metric (a join on it adds the
// version to any other series).
func collectors() []prometheus.Collector {
	info := Read()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rt_build_info",
		Help: "The version, commit and Go version this rt was built from; always 1.",
		ConstLabels: prometheus.Labels{
			"version":   info.Version,
			"commit":    info.Commit,
			"goversion": info.GoVersion,
		},
	})
	g.Set(1)
	return []prometheus.Collector{g}
}
