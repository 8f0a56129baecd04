package subcommand_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/buildinfo"
	"github.com/rtserver/rt/subcommand"
)

// run runs rt's command line args and returns its status and output.
func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = subcommand.Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersionPrintsVersionCommitAndGo(t *testing.T) {
	code, stdout, stderr := run("version")
	info := buildinfo.Read()
	if code != 0 || stderr != "" {
		t.Fatalf("rt version: exit %d, stderr %q", code, stderr)
	}
	want := "rt " + info.Version + " (commit " + info.Commit + ", " + info.GoVersion + ")\n"
	if stdout != want {
		t.Errorf("rt version printed %q, want %q", stdout, want)
	}
}

func TestHelpPrintsUsage(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		code, stdout, stderr := run(arg)
		if code != 0 || !strings.HasPrefix(stdout, "usage: rt") || stderr != "" {
			t.Errorf("rt %s: exit %d, stdout %q, stderr %q", arg, code, stdout, stderr)
		}
	}
}

// A command line rt does not understand is exit 2 with the problem and the
// usage on stderr, and nothing on stdout.
func TestBadCommandLineIsAUsageError(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		problem string
	}{
		{[]string{"serve"}, `rt: unknown command "serve"`},
		{[]string{"-port=1"}, `rt: unknown command "-port=1"`},
		{[]string{"version", "--json"}, `rt: version takes no arguments, got ["--json"]`},
		{[]string{"healthcheck", "http://x"}, `rt: healthcheck takes no arguments`},
		{nil, "rt: no command"},
	} {
		code, stdout, stderr := run(tt.args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, tt.problem) || !strings.Contains(stderr, "usage: rt") {
			t.Errorf("rt %q: exit %d, stdout %q, stderr %q; want 2 and %q with the usage on stderr",
				tt.args, code, stdout, stderr, tt.problem)
		}
	}
}
