package main

import (
	"strings"
	"testing"
	"time"
)

func TestReport(t *testing.T) {
	h := history(10)
	p := params{Duration: 8 * time.Second, Rooms: 1, Clients: 3, Rate: 3}
	good := &record{Name: "r0c0", Room: "r0", User: "u1", Conns: steady(), Deliveries: reads(h, seq(0, 9)...)}
	lossy := &record{Name: "r0c1", Room: "r0", User: "u2", Conns: reconnected(true), Deliveries: reads(h, cat(seq(0, 4), []int{-1}, seq(7, 9))...)}
	told := &record{Name: "r0c2", Room: "r0", User: "x", Conns: reconnected(false), Deliveries: reads(h, cat(seq(0, 4), []int{-1}, seq(7, 9))...)}
	events := []event{{At: t0, What: "pubsub-kill"}}

	r := buildReport(p, 5, t0, []string{"r0"}, map[string][]entry{"r0": h}, []*record{good, told}, events, nil, nil, nil, nil)
	var b strings.Builder
	printTables(&b, r)
	out := b.String()
	if r.Verdict != pass || r.Total.Exempt != 1 || r.Total.Missing != 2 || !strings.Contains(out, "**PASS**") ||
		!strings.Contains(out, "| r0c2 | r0 | 1→2 | 1 | 0 / 1 |") || !strings.Contains(out, "exempt") {
		t.Errorf("an exempt loss: verdict %s, totals %+v\n%s", r.Verdict, r.Total, out)
	}
	if !strings.Contains(out, "-seed 5 -duration 8s") {
		t.Errorf("no command to repeat the run:\n%s", out)
	}

	r = buildReport(p, 5, t0, []string{"r0"}, map[string][]entry{"r0": h}, []*record{good, lossy, told}, events, []string{"node-start node 1: port taken"}, nil, nil, nil)
	b.Reset()
	printTables(&b, r)
	out = b.String()
	if r.Verdict != failed || r.Total.Failed != 1 || len(r.Reasons) != 2 || !strings.Contains(out, "**FAIL**") ||
		!strings.Contains(out, "- r0c1 (FAIL): missing 2: "+id(5)+" … "+id(6)) {
		t.Errorf("a loss: verdict %s, reasons %q\n%s", r.Verdict, r.Reasons, out)
	}
}
