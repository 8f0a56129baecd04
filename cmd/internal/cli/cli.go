// Package cli is how the programs under cmd/ that drive a real rt end: the
// exit statuses they share, an interrupt that cancels the run instead of
// killing the process (so that every server it started is stopped), and
// the outcome on stdout as markdown or as JSON.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	OK     = 0 // carried out, nothing failed
	Failed = 1 // not carried out, or something failed
	Usage  = 2 // the command line is wrong
)

// stdout and stderr are where Run and FlagStatus write; tests replace them.
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

// FlagStatus is what the program name does with the error of its flag
// parsing: exit with OK after -h, exit with Usage after a wrong command
// line (the error goes to stderr), or go on when err is nil.
func FlagStatus(name string, err error) (status int, exit bool) {
	switch {
	case err == nil:
		return OK, false
	case errors.Is(err, flag.ErrHelp):
		return OK, true
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return Usage, true
}

// Run carries out the run of the program name under a context that SIGINT
// and SIGTERM cancel, writes its outcome to stdout (with printJSON when
// asJSON, else with printMarkdown) and returns the exit status: Failed when
// run or the writing returns an error (it goes to stderr) or failed says
// the outcome is a failure, OK otherwise.
func Run[R any](name string, run func(context.Context) (R, error),
	asJSON bool, printJSON func(io.Writer, R) error, printMarkdown func(io.Writer, R), failed func(R) bool) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return Failed
	}
	if asJSON {
		err = printJSON(stdout, out)
	} else {
		printMarkdown(stdout, out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return Failed
	}
	if failed(out) {
		return Failed
	}
	return OK
}
