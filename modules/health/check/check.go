// Package check is how a module offers a readiness condition to /readyz
// without depending on the HTTP side: the health module collects every
// Check in the "readiness" group.
package check

import (
	"context"

	"go.uber.org/fx"
)

// Check is one readiness condition, such as "Redis answers a PING".
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// As annotates a constructor of Check so it joins the readiness group.
func As(f any) any {
	return fx.Annotate(f, fx.ResultTags(`group:"readiness"`))
}

// All is a parameter that receives every offered Check.
type All struct {
	fx.In
	Checks []Check `group:"readiness"`
}
