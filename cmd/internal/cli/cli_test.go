package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"testing"
)

func capture(t *testing.T) (out, errs *bytes.Buffer) {
	was, wasErr := stdout, stderr
	out, errs = &bytes.Buffer{}, &bytes.Buffer{}
	stdout, stderr = out, errs
	t.Cleanup(func() { stdout, stderr = was, wasErr })
	return out, errs
}

func TestFlagStatus(t *testing.T) {
	_, errs := capture(t)
	if status, exit := FlagStatus("x", nil); status != OK || exit {
		t.Errorf("no error: %d, %v; want OK, go on", status, exit)
	}
	if status, exit := FlagStatus("x", flag.ErrHelp); status != OK || !exit {
		t.Errorf("-h: %d, %v; want OK, exit", status, exit)
	}
	if status, exit := FlagStatus("x", errors.New("bad flag")); status != Usage || !exit {
		t.Errorf("bad flag: %d, %v; want Usage, exit", status, exit)
	}
	if got := errs.String(); got != "x: bad flag\n" {
		t.Errorf("stderr = %q", got)
	}
}

func TestRun(t *testing.T) {
	printJSON := func(w io.Writer, n int) error {
		if n < 0 {
			return errors.New("unwritable")
		}
		_, err := fmt.Fprintf(w, "{%d}", n)
		return err
	}
	printMarkdown := func(w io.Writer, n int) { fmt.Fprintf(w, "| %d |", n) }
	odd := func(n int) bool { return n%2 != 0 }
	returns := func(n int, err error) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { return n, err }
	}
	tests := []struct {
		run            func(context.Context) (int, error)
		asJSON         bool
		status         int
		stdout, stderr string
	}{
		{returns(2, nil), false, OK, "| 2 |", ""},
		{returns(2, nil), true, OK, "{2}", ""},
		{returns(3, nil), false, Failed, "| 3 |", ""},
		{returns(-2, nil), true, Failed, "", "x: unwritable\n"},
		{returns(0, errors.New("no redis")), false, Failed, "", "x: no redis\n"},
	}
	for i, tt := range tests {
		out, errs := capture(t)
		if got := Run("x", tt.run, tt.asJSON, printJSON, printMarkdown, odd); got != tt.status {
			t.Errorf("%d: status %d, want %d", i, got, tt.status)
		}
		if out.String() != tt.stdout || errs.String() != tt.stderr {
			t.Errorf("%d: stdout %q, stderr %q; want %q, %q", i, out, errs, tt.stdout, tt.stderr)
		}
	}
}
