// Command rt is a real-time WebSocket server: clients join rooms at
// /ws/:room?token=JWT and every message fans out to the whole room, across
// processes through Redis when REDIS_URL is set.
//
// The modules are listed in modules/app: the core every node runs, the
// backend (memory or Redis) chosen once from REDIS_URL, and the extras that
// can be left out or swapped with fx options (docs/architecture.md).
// With arguments rt runs a subcommand instead (rt version, rt healthcheck;
// package subcommand).
package main

import (
	"os"

	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/app"
	"github.com/rtserver/rt/subcommand"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(subcommand.Run(os.Args[1:], os.Stdout, os.Stderr))
	}
	fx.New(app.FromEnv()).Run()
}
