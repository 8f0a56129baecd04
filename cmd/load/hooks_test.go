package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHooksParts(t *testing.T) {
	sc, _ := findScenario("hooks")
	jobs, err := mustParse(t, "-scenario", "hooks").jobs()
	if err != nil {
		t.Fatal(err)
	}
	rate := settings{Conns: 1000, Rooms: 100, Msgs: 200, Rate: 20, Duration: 10 * time.Second, Senders: 1, Dialers: 50}
	full := settings{Conns: 1000, Rooms: 100, Msgs: 1000, Window: 16, Senders: 1, Dialers: 50}
	withHook := func(s settings) settings { s.PublishHook = true; return s }
	want := []settings{rate, withHook(rate), full, withHook(full)} // each shape without, then with
	var got []settings
	for _, j := range jobs {
		got = append(got, j.set)
		if err := j.set.validate(sc.name); err != nil {
			t.Errorf("validate(%+v) = %v", j.set, err)
		}
		if err := sc.checkSettings(j.set); err != nil {
			t.Errorf("checkSettings(%+v) = %v", j.set, err)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("parts =\n  %+v\nwant\n  %+v", got, want)
	}
	var names []string
	for _, s := range got {
		names = append(names, hooksRunName(s)+" "+hookLabel(s))
	}
	if w := []string{"hooks-rate-plain no hook", "hooks-rate-hook publish hook", "hooks-max-plain no hook", "hooks-max-hook publish hook"}; !slices.Equal(names, w) {
		t.Errorf("names = %q, want %q", names, w)
	}
}

func TestHooksFlags(t *testing.T) {
	jobs, err := mustParse(t, "-scenario", "hooks", "-rate", "5", "-duration", "3s", "-msgs", "50", "-rooms", "10", "-conns", "100").jobs()
	if err != nil || len(jobs) != 4 {
		t.Fatalf("jobs = %d, %v; want 4", len(jobs), err)
	}
	if s := jobs[0].set; s.Msgs != 15 || s.Rate != 5 || s.Window != 0 || s.Rooms != 10 {
		t.Errorf("rate half = %+v, want 15 msgs at 5/s, no window, 10 rooms", s)
	}
	if s := jobs[2].set; s.Msgs != 50 || s.Rate != 0 || s.Duration != 0 || s.Window != 16 {
		t.Errorf("max half = %+v, want 50 msgs within window 16", s)
	}
	sc, _ := findScenario("hooks")
	for _, args := range [][]string{{"-rate", "0"}, {"-duration", "0s"}, {"-rate", "0.01", "-duration", "1s"}, {"-window", "0"}} {
		jobs, _ := mustParse(t, append([]string{"-scenario", "hooks"}, args...)...).jobs()
		failed := false
		for _, j := range jobs {
			failed = failed || sc.checkSettings(j.set) != nil
		}
		if !failed {
			t.Errorf("hooks %v: every part accepted", args)
		}
	}
	if got := mustParse(t, "-scenario", "hooks", "-duration", "5s", "-spread", "2s").command(jobs[0]); got != "go tool task load -- -scenario hooks -duration 5s" {
		t.Errorf("command = %q, want -duration kept and -spread dropped", got)
	}
}

func TestHookVerdict(t *testing.T) {
	tests := []struct {
		name     string
		publish  bool
		calls    int64
		bad      int64
		wantErr  bool
		wantWarn bool
	}{
		{"plain, no call", false, 0, 0, false, false},
		{"hook, calls", true, 1000, 0, false, false},
		{"hook, no call: a warning only", true, 0, 0, false, true},
		{"hook, a bad signature fails", true, 1000, 1, true, false},
		{"plain, a bad request fails", false, 1, 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warning, err := hookVerdict(tt.publish, tt.calls, tt.bad)
			if (err != nil) != tt.wantErr || (warning != "") != tt.wantWarn {
				t.Errorf("hookVerdict = %q, %v; want error %v, warning %v", warning, err, tt.wantErr, tt.wantWarn)
			}
			if err != nil && !strings.Contains(err.Error(), "signature") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}
