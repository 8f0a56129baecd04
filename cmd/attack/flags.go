package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// params are the flags.
type params struct {
	Bin       string
	Scenario  string
	Duration  time.Duration
	Sockets   int
	RedisURL  string
	Env       map[string]string
	CPUServer int
	CPULoad   int
	JSON      bool
	given     map[string]string // flags on the command line, name → value
}

// settings are what one scenario runs with.
type settings struct {
	Duration time.Duration `json:"duration"`
	Sockets  int           `json:"sockets"` // attacker sockets, or workers for the handshake loops
}

func (s settings) describe(sc *scenario) string {
	return fmt.Sprintf("%d %s for %s", s.Sockets, sc.unit, s.Duration)
}

// envFlag is a repeatable -env K=V.
type envFlag map[string]string

func (f envFlag) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, k+"="+f[k])
	}
	return strings.Join(parts, " ")
}

func (f envFlag) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" || strings.ContainsAny(k, " \t") {
		return fmt.Errorf("want K=V, got %q", kv)
	}
	f[k] = v
	return nil
}

// flagOutput is where usage and flag errors go.
var flagOutput io.Writer = os.Stderr

func parseFlags(args []string) (params, error) {
	p := params{Env: map[string]string{}}
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	fs.SetOutput(flagOutput)
	fs.StringVar(&p.Bin, "bin", "", "the rt binary to attack (required; e.g. go build -o /tmp/rt-after .)")
	fs.StringVar(&p.Scenario, "scenario", "all", "what to run: "+strings.Join(scenarioNames(), ", ")+", or all")
	fs.DurationVar(&p.Duration, "duration", 10*time.Second, "how long the attack lasts (and the bystander's baseline), 1s to 2m")
	fs.IntVar(&p.Sockets, "sockets", 0, "attacker sockets, or workers for since-storm and handshakes (default: the scenario's)")
	fs.StringVar(&p.RedisURL, "redis", "", "a local redis (loopback only, e.g. redis://127.0.0.1:6390): the server runs in redis mode against it; empty = embedded")
	fs.Var(envFlag(p.Env), "env", "K=V added to the server's environment, on top of the defaults; repeatable")
	fs.IntVar(&p.CPUServer, "cpu-server", 0, "CPU the server runs on (taskset -c, GOMAXPROCS=1); -1 pins neither the server nor this program")
	fs.IntVar(&p.CPULoad, "cpu-load", 1, "CPU this program pins itself to")
	fs.BoolVar(&p.JSON, "json", false, "print the results as JSON instead of markdown")
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: go run ./cmd/attack -bin PATH [flags]   (or: go tool task attack -- -bin PATH [flags])\n\nscenarios:\n")
		for _, sc := range scenarios {
			fmt.Fprintf(out, "  %-12s %s\n  %-12s default: %d %s\n", sc.name, sc.about, "", sc.sockets, sc.unit)
		}
		fmt.Fprintf(out, "\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return p, err
	}
	p.given = map[string]string{}
	fs.Visit(func(f *flag.Flag) { p.given[f.Name] = f.Value.String() })
	return p, p.validate(fs.Args())
}

func (p params) validate(rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected arguments %q", rest)
	case p.Bin == "":
		return fmt.Errorf("-bin is required: the rt binary to attack (go build -o /tmp/rt-after .)")
	case p.Scenario != "all" && findScenario(p.Scenario) == nil:
		return fmt.Errorf("unknown -scenario %q: want %s or all", p.Scenario, strings.Join(scenarioNames(), ", "))
	case p.Duration < time.Second || p.Duration > 2*time.Minute:
		return fmt.Errorf("-duration must be in [1s, 2m]")
	case p.Sockets < 0 || p.Sockets > 64:
		return fmt.Errorf("-sockets must be in [1, 64] (0 = the scenario's)")
	case p.CPUServer >= 0 && (p.CPULoad < 0 || p.CPULoad == p.CPUServer):
		return fmt.Errorf("-cpu-load must be a CPU other than -cpu-server")
	}
	return nil
}

// scenarios is what -scenario selects, in the order all runs them.
func (p params) scenarios() []*scenario {
	if p.Scenario != "all" {
		return []*scenario{findScenario(p.Scenario)}
	}
	out := make([]*scenario, len(scenarios))
	for i := range scenarios {
		out[i] = &scenarios[i]
	}
	return out
}

func (p params) settingsFor(sc *scenario) settings {
	s := settings{Duration: p.Duration, Sockets: sc.sockets}
	if p.Sockets > 0 {
		s.Sockets = p.Sockets
	}
	return s
}

// command is the command line that repeats one row.
func (p params) command(sc *scenario) string {
	args := []string{"go", "tool", "task", "attack", "--", "-bin", p.Bin, "-scenario", sc.name}
	for _, name := range slices.Sorted(maps.Keys(p.given)) {
		switch name {
		case "bin", "scenario", "json":
			continue
		case "env":
			for _, k := range slices.Sorted(maps.Keys(p.Env)) {
				args = append(args, "-env", k+"="+p.Env[k])
			}
			continue
		case "redis":
			if u, err := url.Parse(p.RedisURL); err == nil {
				args = append(args, "-redis", u.Redacted())
				continue
			}
		}
		args = append(args, "-"+name, p.given[name])
	}
	return strings.Join(args, " ")
}
