package main

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	for _, d := range []time.Duration{5 * time.Second, 8 * time.Second, time.Minute, 10 * time.Minute} {
		fs := plan(42, d, 48, 2)
		if !reflect.DeepEqual(fs, plan(42, d, 48, 2)) {
			t.Fatalf("%s: the same seed gave two schedules", d)
		}
		if !slices.IsSortedFunc(fs, func(a, b fault) int { return int(a.At - b.At) }) {
			t.Errorf("%s: not in time order: %v", d, fs)
		}
		count := map[kind]int{}
		var stop, start, ret fault
		for _, f := range fs {
			count[f.Kind]++
			if f.At < frac(d, faultsFrom) || f.At > frac(d, faultsTo) {
				t.Errorf("%s: %s at %s, outside the window [%s, %s]", d, f.Kind, f.At, frac(d, faultsFrom), frac(d, faultsTo))
			}
			switch f.Kind {
			case cut:
				if len(f.Clients) < 1 || len(f.Clients) > 3 {
					t.Errorf("%s: a cut of %d clients", d, len(f.Clients))
				}
				seen := map[int]bool{}
				for _, c := range f.Clients {
					if c < 0 || c >= 48 || seen[c] {
						t.Errorf("%s: cut clients %v: out of range or repeated", d, f.Clients)
					}
					seen[c] = true
				}
				fallthrough
			case nodeReturn:
				if f.Pause < 100*time.Millisecond || f.Pause >= time.Second {
					t.Errorf("%s: pause %s", d, f.Pause)
				}
			}
			switch f.Kind {
			case nodeStop:
				stop = f
			case nodeStart:
				start = f
			case nodeReturn:
				ret = f
			}
		}
		if count[pubsubKill] < 2 || count[cut] < 2 || count[nodeStop] != 1 || count[nodeStart] != 1 || count[nodeReturn] != 1 {
			t.Errorf("%s: fault counts %v", d, count)
		}
		if !(stop.At < start.At && start.At < ret.At) || stop.Node != start.Node || start.Node != ret.Node || stop.Node > 1 {
			t.Errorf("%s: node faults out of order: %v, %v, %v", d, stop, start, ret)
		}
	}
	if reflect.DeepEqual(plan(1, time.Minute, 48, 2), plan(2, time.Minute, 48, 2)) {
		t.Error("seeds 1 and 2 gave the same schedule")
	}
	if n := len(plan(1, time.Minute, 48, 2)); n < 10 {
		t.Errorf("a minute holds %d faults, want a good few", n)
	}
}

func TestPlanOneNodeHasNoNodeFaults(t *testing.T) {
	for _, f := range plan(7, time.Minute, 2, 1) {
		if f.Kind == nodeStop || f.Kind == nodeStart || f.Kind == nodeReturn {
			t.Errorf("one node, yet %v", f)
		}
		if f.Kind == cut && len(f.Clients) > 2 {
			t.Errorf("a cut of %d clients out of 2", len(f.Clients))
		}
	}
}

// TestPlanCluster: the cluster's faults are the same for a seed, fall in the
// fault window, and the master is killed before the slot moves.
func TestPlanCluster(t *testing.T) {
	for seed := int64(1); seed <= 50; seed++ {
		fs := planCluster(seed, time.Minute, 6)
		if !reflect.DeepEqual(fs, planCluster(seed, time.Minute, 6)) {
			t.Fatalf("seed %d: two schedules", seed)
		}
		if len(fs) != 2 || fs[0].Kind != masterKill || fs[1].Kind != slotMove || fs[0].At >= fs[1].At {
			t.Fatalf("seed %d: %+v", seed, fs)
		}
		for _, f := range fs {
			if f.At < frac(time.Minute, faultsFrom) || f.At > frac(time.Minute, faultsTo) || f.Room < 0 || f.Room >= 6 {
				t.Errorf("seed %d: %+v out of the window", seed, f)
			}
		}
	}
	if _, err := parseFlags([]string{"-cluster", "-redis", "redis://127.0.0.1:6379"}); err == nil {
		t.Error("-cluster with -redis accepted")
	}
}
