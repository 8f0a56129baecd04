// Command rtctl calls rt's server API from a shell or a script: one
// command per route of the API, taken from its route table
// (rt/modules/api/spec), so "rtctl -h" lists them, for example
//
//	rtctl publish ROOM TEXT [-user system] [-data JSON]
//	rtctl send USER TEXT [-data JSON]
//	rtctl history ROOM [-before ID] [-limit N]
//
// It reads the API's address and key from API_ADDR and API_KEY (the
// server's own variables), prints the answer as indented JSON on stdout,
// and exits 0. An error answer is one line on stderr, "rtctl: <status>
// <error code>", and exit status 1; a bad command line, or no address or
// key, exits with 2. The key is sent in the Authorization header and never
// printed; a route served without the key (the OpenAPI document) gets
// none.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/rtserver/rt/modules/api/spec"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the API answered an error, or could not be reached
	exitUsage = 2 // a bad command line, or no address or key
)

// run is rtctl with its surroundings passed in, for the tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	inv, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage())
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "rtctl: %v\n(rtctl -h for help)\n", err)
		return exitUsage
	}
	target, err := resolve(inv, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "rtctl: %v\n", err)
		return exitUsage
	}
	hc := &http.Client{
		Timeout: inv.timeout,
		// A redirect is shown, not followed: the key goes to the address
		// the operator gave and nowhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ans, err := send(ctx, hc, target, inv.req)
	if err != nil {
		fmt.Fprintf(stderr, "rtctl: %v\n", err)
		return exitError
	}
	return show(ans, stdout, stderr)
}

// usage is rtctl -h: the commands, from the route table, between what
// holds for all of them.
func usage() string {
	return usageHead + commandLines() + usageTail
}

const usageHead = `rtctl: call rt's server API

usage:
`

const usageTail = `
Flags may come before or after the arguments; "--" ends the flags (for a
TEXT that starts with "-").

environment:
  API_ADDR   the server API's address: host:port (http) or http(s)://host[:port]
  API_KEY    the server API's key, sent as "Authorization: Bearer <key>"

flags for every command:
  -addr ADDR      instead of API_ADDR
  -key KEY        instead of API_KEY (prefer the environment: a flag stays in the shell's history)
  -timeout D      bound on the whole call (default 10s)

The answer is printed as JSON on stdout. An error answer prints
"rtctl: <status> <error code>" on stderr and exits 1; a bad command line, or no
address or key, exits 2.
`

// helpColumn is where each command's help starts, after its synopsis.
const helpColumn = 46

// commandLines are the usage lines of every command: its synopsis, then
// its help, on the next line when the synopsis is too long to share one.
func commandLines() string {
	var b strings.Builder
	indent := strings.Repeat(" ", helpColumn)
	for _, r := range spec.Routes {
		line := "  " + synopsis(r.Command)
		if len(line) >= helpColumn-1 {
			line += "\n" + indent
		} else {
			line += strings.Repeat(" ", helpColumn-len(line))
		}
		b.WriteString(line + strings.ReplaceAll(r.Command.Help, "\n", "\n"+indent) + "\n")
	}
	return b.String()
}

// synopsis is "rtctl NAME ARGS [-flag META]...".
func synopsis(cmd spec.Command) string {
	words := append([]string{"rtctl", cmd.Name}, metaNames(cmd.Args)...)
	for _, f := range cmd.Flags {
		words = append(words, "[-"+f.Name+" "+f.Meta+"]")
	}
	return strings.Join(words, " ")
}
