// Package collect is how a module offers its Prometheus collectors without
// depending on the HTTP side: the metrics module registers every collector
// in the "metrics" group. Without the metrics module nothing asks for them.
package collect

import (
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
)

// As annotates a constructor returning []prometheus.Collector so its
// collectors join the registry.
func As(f any) any {
	return fx.Annotate(f, fx.ResultTags(`group:"metrics,flatten"`))
}

// All is a parameter that receives every offered collector.
type All struct {
	fx.In
	Collectors []prometheus.Collector `group:"metrics"`
}
