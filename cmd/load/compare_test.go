package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeBinaries are an executable file, one that is not, and a directory.
func fakeBinaries(t *testing.T) (exe, plain, dir string) {
	t.Helper()
	dir = t.TempDir()
	exe, plain = filepath.Join(dir, "rt-before"), filepath.Join(dir, "notes")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return exe, plain, dir
}

func TestComparisonFlags(t *testing.T) {
	exe, plain, dir := fakeBinaries(t)
	tests := []struct {
		name string
		args []string
		err  string // "" = accepted
	}{
		{"no flags", nil, ""},
		{"baseline", []string{"-baseline", exe}, ""},
		{"baseline with rounds", []string{"-scenario", "storm", "-baseline", exe, "-rounds", "3"}, ""},
		{"rounds alone", []string{"-rounds", "2"}, ""},
		{"bare for connect", []string{"-scenario", "connect", "-bare", exe}, ""},
		{"bare for idle", []string{"-scenario", "idle", "-bare", exe, "-baseline", exe}, ""},
		{"bare in all: connect has it", []string{"-scenario", "all", "-bare", exe}, ""},
		{"bare for storm", []string{"-scenario", "storm", "-bare", exe}, "connect and idle scenarios only"},
		{"bare for the default scenario", []string{"-bare", exe}, "connect and idle scenarios only"},
		{"zero rounds", []string{"-rounds", "0"}, "-rounds"},
		{"too many rounds", []string{"-rounds", "21"}, "-rounds"},
		{"missing baseline", []string{"-baseline", filepath.Join(dir, "nope")}, "-baseline"},
		{"baseline not executable", []string{"-baseline", plain}, "not an executable"},
		{"baseline a directory", []string{"-baseline", dir}, "not an executable"},
		{"bare not executable", []string{"-scenario", "idle", "-bare", plain}, "-bare"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.args...)
			jobs, err := p.jobs()
			if err != nil {
				t.Fatal(err)
			}
			err = p.checkComparison(jobs)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error = %v, want one about %q", err, tt.err)
			}
		})
	}
	if p := mustParse(t); p.Rounds != 1 || p.comparing() {
		t.Errorf("defaults: rounds %d, comparing %v; want 1 round, no comparison", p.Rounds, p.comparing())
	}
}

func TestTargets(t *testing.T) {
	const built = "/tmp/rt-load-1/rt"
	labels := func(ts []target) string {
		var out []string
		for _, x := range ts {
			s := x.Label + "=" + x.Bin
			if x.Bare {
				s += " (bare)"
			}
			out = append(out, s)
		}
		return strings.Join(out, ", ")
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-scenario", "connect"}, "=" + built}, // no label: rows as they always were
		{[]string{"-scenario", "connect", "-rounds", "2"}, "=" + built},
		{[]string{"-scenario", "connect", "-baseline", "/b/rt"}, "baseline=/b/rt, this=" + built},
		{[]string{"-scenario", "connect", "-bare", "/b/bare"}, "this=" + built + ", bare=/b/bare (bare)"},
		{[]string{"-scenario", "idle", "-baseline", "/b/rt", "-bare", "/b/bare"}, "baseline=/b/rt, this=" + built + ", bare=/b/bare (bare)"},
		{[]string{"-scenario", "storm", "-baseline", "/b/rt", "-bare", "/b/bare"}, "baseline=/b/rt, this=" + built}, // no floor for storm
	}
	for _, tt := range tests {
		p := mustParse(t, tt.args...)
		jobs, err := p.jobs()
		if err != nil {
			t.Fatal(err)
		}
		if got := labels(p.targets(jobs[0], built)); got != tt.want {
			t.Errorf("%q: targets = %s, want %s", tt.args, got, tt.want)
		}
	}
}

func TestTargetLabel(t *testing.T) {
	tests := []struct {
		t             target
		round, rounds int
		want          string
	}{
		{target{}, 1, 1, ""},
		{target{}, 2, 3, " [round 2/3]"},
		{target{Label: "bare"}, 1, 1, " [bare]"},
		{target{Label: "baseline"}, 2, 2, " [baseline, round 2/2]"},
	}
	for _, tt := range tests {
		if got := tt.t.label(tt.round, tt.rounds); got != tt.want {
			t.Errorf("label(%+v, %d/%d) = %q, want %q", tt.t, tt.round, tt.rounds, got, tt.want)
		}
	}
}

func TestIdleScenario(t *testing.T) {
	idle, ok := findScenario("idle")
	if !ok {
		t.Fatal("no idle scenario")
	}
	got := mustParse(t, "-scenario", "idle").resolve(idle)
	if want := (settings{Conns: 50000, Rooms: 100, Dialers: 100, Duration: 10 * time.Second}); got != want {
		t.Errorf("idle defaults = %+v, want %+v", got, want)
	}
	all, _ := mustParse(t, "-scenario", "all").jobs()
	if slices.ContainsFunc(all, func(j job) bool { return j.sc.name == "idle" }) {
		t.Error("all runs idle; it is left out")
	}
	p := mustParse(t, "-scenario", "idle", "-conns", "20000", "-msgs", "5", "-duration", "4s")
	jobs, _ := p.jobs()
	if got, want := p.command(jobs[0]), "go tool task load -- -scenario idle -conns 20000 -duration 4s"; got != want {
		t.Errorf("command = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		s  settings
		ok bool
	}{
		{settings{Dialers: 100, Duration: 10 * time.Second}, true},
		{settings{Dialers: 100, Duration: 2 * time.Second}, true},
		{settings{Dialers: 0, Duration: 10 * time.Second}, false},
		{settings{Dialers: 100, Duration: time.Second}, false}, // shorter than a heartbeat
		{settings{Dialers: 100, Duration: time.Hour}, false},
	} {
		if err := tt.s.validateIdle("idle"); (err == nil) != tt.ok {
			t.Errorf("validateIdle(%+v) = %v, want ok=%v", tt.s, err, tt.ok)
		}
	}
	for d, want := range map[time.Duration]int{2 * time.Second: 1, 3 * time.Second: 2, 10 * time.Second: 5, 11 * time.Second: 6, 10900 * time.Millisecond: 5} {
		if got := idleBeats(d); got != want {
			t.Errorf("idleBeats(%s) = %d, want %d", d, got, want)
		}
	}
	if env := idleEnv(); env["HEARTBEAT_INTERVAL"] != "2s" || env["IDLE_TIMEOUT"] != "10s" {
		t.Errorf("idleEnv = %v", env)
	}
}

// compareRows are two rounds of connect on baseline, this and bare, one
// of this's rounds failed.
func compareRows() []*row {
	mk := func(server string, round int, hs, perConn float64, bare bool, failed bool) *row {
		r := &row{Scenario: "connect", Command: "go tool task load -- -scenario connect", Server: server, Round: round,
			Figures: &connectFigures{HandshakesPerSec: hs, CPUPerHandshake: perConn, BytesPerConn: 10 * 1024, JoinsPerSec: hs / 2, Bare: bare}}
		if failed {
			r.Error = "server not ready"
		}
		return r
	}
	return []*row{
		mk("baseline", 1, 3000, 300, false, false), mk("this", 1, 5000, 150, false, false), mk("bare", 1, 9000, 80, true, false),
		mk("baseline", 2, 3200, 280, false, false), mk("this", 2, 0, 0, false, true), mk("bare", 2, 9400, 84, true, false),
	}
}

func TestSummarizeRows(t *testing.T) {
	sbs := summarizeRows(compareRows())
	if len(sbs) != 1 {
		t.Fatalf("%d tables, want one per job", len(sbs))
	}
	sb := sbs[0]
	if got := []string{sb.Servers[0].Server, sb.Servers[1].Server, sb.Servers[2].Server}; !slices.Equal(got, []string{"baseline", "this", "bare"}) {
		t.Errorf("servers in order %v", got)
	}
	fig := func(s serverSummary, name string) figureSummary {
		i := slices.IndexFunc(s.Figures, func(f figureSummary) bool { return f.Name == name })
		if i < 0 {
			return figureSummary{}
		}
		return s.Figures[i]
	}
	if f := fig(sb.Servers[0], "handshakes/s"); f.Median != 3100 || f.Min != 3000 || f.Max != 3200 || len(f.Values) != 2 {
		t.Errorf("baseline handshakes/s = %+v, want median 3100 of 3000 and 3200", f)
	}
	if s := sb.Servers[1]; s.Rounds != 1 || s.Failed != 1 || fig(s, "handshakes/s").Median != 5000 {
		t.Errorf("this = %+v, want the failed round left out", s)
	}
	if f := fig(sb.Servers[2], "joins/s"); f.Name != "" {
		t.Errorf("bare has joins/s %+v; the floor has no rooms", f)
	}
	if f := fig(sb.Servers[2], "handshakes per server CPU-s"); int(f.Median) != 12202 {
		t.Errorf("bare handshakes per CPU-s = %v, want the median of 1e6/80 and 1e6/84", f.Median)
	}
	for _, tt := range []struct {
		v    []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}, {nil, 0}} {
		if got := median(tt.v); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestReportShowsTheServer(t *testing.T) {
	rows := compareRows()
	rep := &report{Rows: rows, Baseline: "/b/rt", Bare: "/b/bare", Rounds: 2, SideBySide: summarizeRows(rows)}
	var md bytes.Buffer
	printMarkdown(&md, rep)
	out := md.String()
	for _, want := range []string{
		"| scenario | server | command |",
		"| connect | baseline · round 2 | `go tool",
		"side by side: connect (`go tool task load -- -scenario connect`), median of 2 rounds (lowest–highest):",
		"| baseline | 2 | 3 100 (3 000–3 200) |",
		"| this | 1 (+1 failed) | 5 000 |",
		"baseline: /b/rt",
		"bare: /b/bare",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "| n/a |") {
		t.Errorf("the bare line has no n/a for joins:\n%s", out)
	}
	var js bytes.Buffer
	if err := printJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Rows []struct {
			Server string `json:"server"`
			Round  int    `json:"round"`
		} `json:"scenarios"`
		SideBySide []struct {
			Servers []struct {
				Server string `json:"server"`
				Rounds int    `json:"rounds"`
			} `json:"servers"`
		} `json:"side_by_side"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Rows[2].Server != "bare" || back.Rows[3].Round != 2 || back.SideBySide[0].Servers[0].Rounds != 2 {
		t.Errorf("JSON = %+v", back)
	}

	// Without a comparison the table is as it always was.
	plain := &report{Rows: []*row{{Scenario: "connect", Command: "go tool task load -- -scenario connect", Figures: &connectFigures{}}}}
	md.Reset()
	printMarkdown(&md, plain)
	if out := md.String(); !strings.HasPrefix(out, "| scenario | command | mode |") || strings.Contains(out, "side by side") {
		t.Errorf("a plain report changed:\n%s", out)
	}
	js.Reset()
	_ = printJSON(&js, plain)
	if s := js.String(); strings.Contains(s, `"server"`) || strings.Contains(s, "side_by_side") || strings.Contains(s, `"round"`) {
		t.Errorf("a plain report's JSON gained comparison fields:\n%s", s)
	}
}
