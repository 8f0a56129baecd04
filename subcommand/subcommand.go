// Package subcommand is what the rt binary does when it is given
// arguments: `rt version` and `rt healthcheck`. Without arguments rt is the
// server (main runs the fx app and never comes here).
//
// It is neither a module (it runs instead of the app, not inside it) nor a
// program under cmd/ (those are binaries of their own): a container image
// holds one binary and no shell, so its health check and its version have
// to be asked of rt itself.
package subcommand

import (
	"fmt"
	"io"

	"github.com/rtserver/rt/modules/buildinfo"
)

// Exit statuses: 2 is a bad command line, as for flag's and rtctl's.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `usage: rt [command]

Without a command, rt runs the server, configured from the environment.

commands:
  version      print the version, commit and Go version rt was built from
  healthcheck  GET /healthz of the rt on HOST:PORT (from the environment);
               exit 0 on 200, else 1 with the reason on stderr
  help         print this
`

// Run runs the command args name and returns the process's exit status.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "no command")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version", "healthcheck":
	default:
		return usageError(stderr, fmt.Sprintf("unknown command %q", name))
	}
	if len(rest) > 0 {
		return usageError(stderr, fmt.Sprintf("%s takes no arguments, got %q", name, rest))
	}
	if name == "version" {
		return version(stdout)
	}
	return healthcheck(stderr)
}

func usageError(stderr io.Writer, problem string) int {
	fmt.Fprintf(stderr, "rt: %s\n\n%s", problem, usage)
	return exitUsage
}

// version prints one line, e.g. "rt v0.9.0 (commit 0379d07…, go1.26.8)".
func version(stdout io.Writer) int {
	info := buildinfo.Read()
	fmt.Fprintf(stdout, "rt %s (commit %s, %s)\n", info.Version, info.Commit, info.GoVersion)
	return exitOK
}
