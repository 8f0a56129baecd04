package main

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, args ...string) params {
	t.Helper()
	p, err := parseFlags(args)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}
	return p
}

func TestResolveTakesOnlyGivenFlags(t *testing.T) {
	storm, _ := findScenario("storm")
	fanout, _ := findScenario("fanout-max")
	tests := []struct {
		name string
		args []string
		sc   scenario
		want settings
	}{
		{"defaults", nil, storm, storm.defaults},
		{"conns given", []string{"-conns", "500"}, storm, settings{Conns: 500, Rooms: 1, ReadDelay: time.Millisecond, Spread: time.Second}},
		{"read delay given", []string{"-read-delay", "5ms"}, storm, settings{Conns: 1000, Rooms: 1, ReadDelay: 5 * time.Millisecond, Spread: time.Second}},
		{"an explicit zero wins", []string{"-window", "0", "-rate", "100"}, fanout, settings{Conns: 1000, Rooms: 1, Msgs: 2000, Rate: 100, Senders: 1, Dialers: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.args...).resolve(tt.sc); got != tt.want {
				t.Errorf("resolve = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseFlagsRefusesStrayArguments(t *testing.T) {
	flagOutput = io.Discard
	t.Cleanup(func() { flagOutput = os.Stderr })
	if _, err := parseFlags([]string{"storm"}); err == nil {
		t.Error("a positional argument was accepted")
	}
	if _, err := parseFlags([]string{"-nope"}); err == nil {
		t.Error("an unknown flag was accepted")
	}
}

func TestJobs(t *testing.T) {
	names := func(jobs []job) []string {
		var out []string
		for _, j := range jobs {
			out = append(out, j.sc.name+" "+j.set.describe())
		}
		return out
	}
	all, err := mustParse(t, "-scenario", "all").jobs()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range all {
		got = append(got, j.sc.name)
	}
	if want := []string{"default", "storm", "connect", "connect", "fanout-max", "fanout-rate", "rooms", "multiroom", "hooks", "hooks", "hooks", "hooks"}; !slices.Equal(got, want) {
		t.Errorf("all without -redis = %v, want %v", got, want)
	}
	if all[3].set.Rooms != 100 || all[2].set.Rooms != 10000 {
		t.Errorf("connect runs = %v, want 10000 rooms then 100", names(all[2:4]))
	}
	withRedis, err := mustParse(t, "-scenario", "all", "-redis", "redis://127.0.0.1:6390").jobs()
	if err != nil || withRedis[len(withRedis)-1].sc.name != "cross" {
		t.Errorf("all with -redis = %v, %v; want cross last", names(withRedis), err)
	}
	oneConnect, _ := mustParse(t, "-scenario", "all", "-rooms", "50").jobs()
	if n := len(slices.DeleteFunc(oneConnect, func(j job) bool { return j.sc.name != "connect" })); n != 1 {
		t.Errorf("all -rooms 50 runs connect %d times, want once", n)
	}
	if _, err := mustParse(t, "-scenario", "cross").jobs(); err == nil || !strings.Contains(err.Error(), "-redis") {
		t.Errorf("cross without -redis: %v, want a request for -redis", err)
	}
	if _, err := mustParse(t, "-scenario", "nope").jobs(); err == nil {
		t.Error("an unknown scenario was accepted")
	}
}

func TestCommand(t *testing.T) {
	p := mustParse(t, "-scenario", "all", "-json", "-pin=false", "-conns", "300", "-timeout", "1m", "-redis", "redis://user:secret@127.0.0.1:6390")
	jobs, err := p.jobs()
	if err != nil {
		t.Fatal(err)
	}
	var connect100 job
	for _, j := range jobs {
		if j.sc.name == "connect" && j.set.Rooms == 100 {
			connect100 = j
		}
	}
	got := p.command(connect100)
	want := "go tool task load -- -scenario connect -conns 300 -pin=false -rooms 100" // embedded in all: no -redis
	if got != want {
		t.Errorf("command =\n  %s\nwant\n  %s", got, want)
	}
	cross := jobs[len(jobs)-1]
	got = p.command(cross)
	want = "go tool task load -- -scenario cross -conns 300 -pin=false -redis redis://user:xxxxx@127.0.0.1:6390"
	if got != want || cross.redisURL == "" {
		t.Errorf("command =\n  %s\nwant\n  %s (redis mode)", got, want)
	}
	single := mustParse(t, "-scenario", "storm", "-redis", "redis://127.0.0.1:6390")
	sj, _ := single.jobs()
	if got := single.command(sj[0]); got != "go tool task load -- -scenario storm -redis redis://127.0.0.1:6390" || sj[0].redisURL == "" {
		t.Errorf("a single scenario with -redis: %q, redis %q; want redis mode", got, sj[0].redisURL)
	}
	storm := mustParse(t, "-scenario", "storm", "-msgs", "5", "-read-delay", "2ms", "-conns", "10")
	sj, _ = storm.jobs()
	if got := storm.command(sj[0]); got != "go tool task load -- -scenario storm -conns 10 -read-delay 2ms" {
		t.Errorf("command drops the flags storm does not read: got %q", got)
	}
	if got := mustParse(t).command(jobs[0]); got != "go tool task load -- -scenario default" {
		t.Errorf("command with no flags = %q", got)
	}
}

func TestValidate(t *testing.T) {
	ok := settings{Conns: 100, Rooms: 10, Msgs: 10, Senders: 2, Dialers: 5, Window: 8}
	if err := ok.validate("x"); err != nil {
		t.Errorf("validate(%+v) = %v", ok, err)
	}
	if err := ok.validateFanout("x"); err != nil {
		t.Errorf("validateFanout(%+v) = %v", ok, err)
	}
	bad := []settings{
		{Conns: 0, Rooms: 1},
		{Conns: 5, Rooms: 6},
		{Conns: 5, Rooms: 1, Rate: -1},
		{Conns: 5, Rooms: 1, ReadDelay: 2 * time.Second},
		{Conns: 200000, Rooms: 1},
	}
	for _, s := range bad {
		if s.validate("x") == nil {
			t.Errorf("validate(%+v) accepted", s)
		}
	}
	badFanout := []settings{
		{Conns: 100, Rooms: 10, Msgs: 0, Senders: 1, Dialers: 1, Window: 1},
		{Conns: 100, Rooms: 10, Msgs: 1, Senders: 11, Dialers: 1, Window: 1}, // more senders than members
		{Conns: 100, Rooms: 10, Msgs: 1, Senders: 1, Dialers: 0, Window: 1},
		{Conns: 100, Rooms: 10, Msgs: 1, Senders: 1, Dialers: 1}, // neither a rate nor a window
	}
	for _, s := range badFanout {
		if s.validateFanout("x") == nil {
			t.Errorf("validateFanout(%+v) accepted", s)
		}
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		n    float64
		want string
	}{
		{0, "0"}, {7, "7"}, {999.4, "999"}, {999.5, "1 000"}, {12345, "12 345"},
		{1234567, "1 234 567"}, {-1234, "-1 234"},
	}
	for _, tt := range tests {
		if got := thousands(tt.n); got != tt.want {
			t.Errorf("thousands(%g) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestCeilingRatio(t *testing.T) {
	c := &ceiling{Single: 100000, Batched: 400000}
	if got := c.ratio(50000); got != "0.50 / 0.12" {
		t.Errorf("ratio = %q", got)
	}
	for _, r := range []string{c.ratio(0), (*ceiling)(nil).ratio(5), (&ceiling{}).ratio(5)} {
		if r != "—" {
			t.Errorf("ratio without a figure = %q, want —", r)
		}
	}
}

func TestRoomSize(t *testing.T) {
	if got := roomSize(1000, 100); got != "10" {
		t.Errorf("roomSize(1000, 100) = %q", got)
	}
	if got := roomSize(100, 3); got != "33–34" {
		t.Errorf("roomSize(100, 3) = %q", got)
	}
}
