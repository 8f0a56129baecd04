// Package startup is how a module adds to rt's start-up line ("listening")
// without depending on the HTTP side: the redis module says a Redis
// Cluster's mode and shard count there. An attribute named like one the
// server writes itself ("mode") takes its place.
package startup

import "go.uber.org/fx"

// Attr is one key=value of the start-up line.
type Attr struct {
	Key   string
	Value any
}

// As annotates a constructor returning []Attr so the server writes them.
func As(f any) any {
	return fx.Annotate(f, fx.ResultTags(`group:"startup,flatten"`))
}
