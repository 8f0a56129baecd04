package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// id is the i-th id of a room: 28 lowercase hex characters, increasing.
func id(i int) string { return fmt.Sprintf("%028x", 0x1000+i) }

// history is n messages, one every 100 ms from t0, alternately by u1 and u2.
func history(n int) []entry {
	out := make([]entry, n)
	for i := range out {
		user := "u1"
		if i%2 == 1 {
			user = "u2"
		}
		out[i] = entry{ID: id(i), User: user, Text: fmt.Sprintf("%s#%d", user, i), TS: t0.Add(time.Duration(i) * 100 * time.Millisecond).UnixMilli()}
	}
	return out
}

// reads is a client's deliveries of the given positions, all in connection 0
// unless a position is given as -(connection) first: reads(0, 1, -1, 2) reads
// 0 and 1 in connection 0 and 2 in connection 1.
func reads(h []entry, ps ...int) []delivery {
	var out []delivery
	cur := 0
	for _, p := range ps {
		if p < 0 {
			cur = -p
			continue
		}
		e := h[p]
		out = append(out, delivery{ID: e.ID, User: e.User, Text: e.Text, TS: e.TS, Conn: cur})
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func cat(parts ...[]int) []int { return slices.Concat(parts...) }

func steady() []connection { return []connection{{Node: 0, Up: t0, Joined: t0}} }

func reconnected(complete ...bool) []connection {
	ss := []connection{{Node: 0, Up: t0, Joined: t0, Ended: "cut"}}
	for i, c := range complete {
		s := connection{Node: (i + 1) % 2, Since: id(1), Up: t0, Joined: t0, Recovered: &recovery{Count: 0, Complete: c}}
		if i < len(complete)-1 {
			s.Ended = "cut"
		}
		ss = append(ss, s)
	}
	return ss
}

func TestCheckClient(t *testing.T) {
	h := history(10)
	tests := []struct {
		name     string
		conns    []connection
		read     []int
		user     string
		hist     []entry
		want     verdict
		missing  int
		dup      int
		ooo      int
		unknown  int
		expected int
		problem  string // a substring of one of the problems
	}{
		{name: "every id once, in order", conns: steady(), read: seq(0, 9), want: pass, expected: 10},
		{name: "joined late: expected from its first read", conns: steady(), read: seq(4, 9), want: pass, expected: 6},
		{name: "missing in the middle", conns: steady(), read: cat(seq(0, 3), seq(6, 9)), want: failed, missing: 2, expected: 10,
			problem: "missing 2: " + id(4) + " … " + id(5)},
		{name: "missing at the end", conns: steady(), read: seq(0, 7), want: failed, missing: 2, expected: 10},
		{name: "duplicate", conns: steady(), read: cat(seq(0, 5), []int{5}, seq(6, 9)), want: failed, dup: 1, expected: 10, problem: "duplicate " + id(5)},
		{name: "out of order", conns: steady(), read: cat(seq(0, 3), []int{5, 4}, seq(6, 9)), want: failed, ooo: 1, expected: 10, problem: "out of order: " + id(4)},
		{name: "reconnected, complete, nothing lost", conns: reconnected(true), read: cat(seq(0, 4), []int{-1}, seq(5, 9)), want: pass, expected: 10},
		{name: "reconnected, complete, yet a gap: fails", conns: reconnected(true, true), read: cat(seq(0, 4), []int{-1}, seq(7, 9)), want: failed, missing: 2, expected: 10},
		{name: "reconnected, complete, replay repeats one: fails", conns: reconnected(true), read: cat(seq(0, 4), []int{-1}, seq(4, 9)), want: failed, dup: 1, expected: 10},
		{name: "complete:false exempts a gap", conns: reconnected(true, false), read: cat(seq(0, 4), []int{-2}, seq(7, 9)), want: exempt, missing: 2, expected: 10},
		{name: "complete:false exempts a repeat", conns: reconnected(false), read: cat(seq(0, 4), []int{-1}, seq(3, 9)), want: exempt, dup: 2, expected: 10},
		{name: "complete:false with nothing wrong is ok", conns: reconnected(false), read: seq(0, 9), want: pass, expected: 10},
		{name: "read an id history does not hold", conns: steady(), read: seq(0, 9), hist: slices.Delete(slices.Clone(h), 3, 4),
			want: failed, unknown: 1, expected: 9, problem: "which history does not hold"},
		{name: "not held, even when exempt", conns: reconnected(false), read: seq(0, 9), hist: slices.Delete(slices.Clone(h), 3, 4),
			want: failed, unknown: 1, expected: 9},
		{name: "own message missing from history", conns: steady(), user: "u1", read: seq(0, 9), hist: slices.Delete(slices.Clone(h), 2, 3),
			want: failed, unknown: 1, expected: 9, problem: "its own \"u1#2\""},
		{name: "read nothing: expected from its join", conns: []connection{{Up: t0.Add(449 * time.Millisecond), Joined: t0.Add(450 * time.Millisecond)}},
			want: failed, missing: 5, expected: 5, problem: "missing 5: " + id(5)},
		{name: "read nothing, joined after the last", conns: []connection{{Up: t0.Add(time.Hour), Joined: t0.Add(time.Hour)}}, want: pass},
		{name: "not connected at the end", conns: []connection{{Up: t0, Joined: t0, Ended: "cut"}}, read: seq(0, 9), want: failed, expected: 10,
			problem: "not connected when the run ended"},
		{name: "reconnected with since, no history.recovered", conns: []connection{{Up: t0, Joined: t0, Ended: "cut"}, {Node: 1, Since: id(4), Up: t0, Joined: t0}},
			read: seq(0, 9), want: failed, expected: 10, problem: "never got history.recovered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hist := h
			if tt.hist != nil {
				hist = tt.hist
			}
			user := tt.user
			if user == "" {
				user = "observer"
			}
			rec := &record{Name: "r0c0", Room: "r0", User: user, Conns: tt.conns, Deliveries: reads(h, tt.read...)}
			r := checkClient(rec, newTruth(hist, 1000), t0, nil)
			if r.Verdict != tt.want || r.Missing != tt.missing || r.Dup != tt.dup || r.OutOfOrder != tt.ooo || r.Unknown != tt.unknown || r.Expected != tt.expected {
				t.Errorf("verdict %s missing %d dup %d ooo %d unknown %d expected %d; want %s %d %d %d %d %d\nproblems: %q",
					r.Verdict, r.Missing, r.Dup, r.OutOfOrder, r.Unknown, r.Expected,
					tt.want, tt.missing, tt.dup, tt.ooo, tt.unknown, tt.expected, r.Problems)
			}
			if tt.problem != "" && !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.Contains(p, tt.problem) }) {
				t.Errorf("problems %q, want one containing %q", r.Problems, tt.problem)
			}
			if r.Missing > 0 && len(r.MissingIDs) != r.Missing {
				t.Errorf("missing ids %v for %d missing", r.MissingIDs, r.Missing)
			}
		})
	}
}

func TestCheckClientCounts(t *testing.T) {
	h := history(10)
	ss := reconnected(true)
	ss[1].Recovered.Count, ss[1].Replayed = 3, 2
	ss[0].Ended = "closed 4002"
	rec := &record{Name: "r0c1", Room: "r0", User: "u2", Conns: ss, Sent: 7, Deliveries: reads(h, cat(seq(0, 4), []int{-1}, seq(5, 9))...),
		Errors: map[string]int{"unavailable": 2}}
	r := checkClient(rec, newTruth(h, 1000), t0, nil)
	if r.Verdict != pass || r.Reconnects != 1 || r.Complete != 1 || r.Echoed != 5 || r.EchoLost != 0 || r.Nodes != "1→2" || r.Received != 10 || r.Sent != 7 {
		t.Errorf("%+v", r)
	}
	want := []string{
		"connection 1 (node 1) ended by itself: closed 4002",
		"connection 2: history.recovered said count 3, 2 deliveries came before it",
		"the library reported unavailable ×2 (OnError)",
	}
	if !slices.Equal(r.Notes, want) {
		t.Errorf("notes %q\nwant  %q", r.Notes, want)
	}
}

func TestCheckClientTrimmedHistory(t *testing.T) {
	h := history(10)
	kept := h[4:] // a full history of 6 that lost the oldest four
	rec := &record{Name: "c", Room: "r0", User: "u1", Conns: steady(), Deliveries: reads(h, seq(0, 9)...)}
	r := checkClient(rec, newTruth(kept, 6), t0, nil)
	if r.Verdict != pass || r.Unknown != 0 || r.Expected != 6 {
		t.Errorf("trimmed: %+v", r)
	}
	r = checkClient(rec, newTruth(kept, 100), t0, nil) // not full: the first four should be there
	if r.Verdict != failed || r.Unknown != 4 {
		t.Errorf("not trimmed: %+v", r)
	}
}

func TestCheckClientNamesNearbyFaults(t *testing.T) {
	h := history(30)
	events := []event{
		{At: t0.Add(500 * time.Millisecond), Off: 500 * time.Millisecond, What: "pubsub-kill"},
		{At: t0.Add(1500 * time.Millisecond), Off: 1500 * time.Millisecond, What: "cut r0c0"},
		{At: t0.Add(8 * time.Second), Off: 8 * time.Second, What: "node-stop node 1"},
	}
	rec := &record{Name: "r0c0", Room: "r0", User: "x", Conns: steady(), Deliveries: reads(h, cat(seq(0, 19), seq(22, 29))...)}
	r := checkClient(rec, newTruth(h, 1000), t0, events)
	want := "missing 2: " + id(20) + " … " + id(21) + ", published +2.000s … +2.100s; faults near: pubsub-kill at +0.500s; cut r0c0 at +1.500s"
	if r.Verdict != failed || len(r.Problems) != 1 || r.Problems[0] != want {
		t.Errorf("problems %q\nwant [%q]", r.Problems, want)
	}
}

func TestCheckRoom(t *testing.T) {
	h := history(5)
	recs := []*record{{Room: "r0", Sent: 3}, {Room: "r0", Sent: 2}, {Room: "r1", Sent: 9}}
	if r := checkRoom("r0", newTruth(h, 100), recs); r.Verdict != pass || r.Messages != 5 || r.Sent != 5 || r.Trimmed {
		t.Errorf("a good history: %+v", r)
	}
	bad := slices.Clone(h)
	bad[3].ID, bad[4].Text = id(1), bad[0].Text
	r := checkRoom("r0", newTruth(bad, 5), recs)
	if r.Verdict != failed || len(r.Problems) != 2 || !r.Trimmed {
		t.Errorf("a bad history: %+v", r)
	}
	odd := slices.Clone(h)
	odd[2].ID = "01J8ACH8MJ5VDQ8SCADPEVMP8Y"
	if r := checkRoom("r0", newTruth(odd, 100), recs); r.Verdict != failed || !strings.Contains(r.Problems[0], "28 lowercase hex") {
		t.Errorf("a ULID in history: %+v", r)
	}
}

func TestRuns(t *testing.T) {
	if got := runs([]int{1, 2, 3, 7, 9, 10}); !slices.Equal(got, [][2]int{{1, 3}, {7, 7}, {9, 10}}) {
		t.Errorf("runs = %v", got)
	}
	if got := runs(nil); got != nil {
		t.Errorf("runs(nil) = %v", got)
	}
}

func TestCheckClientSends(t *testing.T) {
	h := history(10) // u1 wrote the even positions
	at := t0.Add(time.Second)
	acked := func(text string, i int) sent {
		return sent{Text: text, At: at, Done: at, ID: id(i), TS: h[i].TS}
	}
	rejectedAs := func(text, code string) sent { return sent{Text: text, At: at, Done: at, Err: code} }
	tests := []struct {
		name     string
		read     []int
		sends    []sent
		hist     []entry
		losses   [][2]int64
		want     verdict
		acked    int
		rejected int
		unsaved  int
		problem  string
		note     string
	}{
		{name: "every send acked and read back", read: seq(0, 9), sends: []sent{acked("u1#0", 0), acked("u1#2", 2)}, want: pass, acked: 2},
		{name: "acked, not read back but in history: a missing id", read: seq(0, 7), sends: []sent{acked("u1#8", 8)}, want: failed, acked: 1},
		{name: "acked, not in history", read: seq(0, 9), sends: []sent{acked("u1#0", 0), {Text: "u1#99", At: at, Done: at, ID: id(99), TS: h[9].TS}},
			want: failed, acked: 2, unsaved: 1, problem: `"u1#99" acked as ` + id(99) + ` at +1.000s, which history does not hold`},
		{name: "acked with another message's id", read: seq(0, 9), sends: []sent{{Text: "u1#77", At: at, Done: at, ID: id(2), TS: h[2].TS}},
			want: failed, acked: 1, unsaved: 1, problem: `"u1#77" acked as ` + id(2) + `, which history holds as "u1#2"`},
		{name: "acked, lost by Redis in a failover", read: seq(0, 9), sends: []sent{{Text: "u1#99", At: at, Done: at, ID: id(99), TS: h[9].TS}},
			losses: [][2]int64{{h[8].TS, h[9].TS}}, want: pass, acked: 1},
		{name: "never answered", read: seq(0, 9), sends: []sent{{Text: "u1#99", At: at}}, want: failed,
			problem: `1 Publish call(s) never returned: "u1#99" at +1.000s`},
		{name: "rejected: disconnected, published or not", read: seq(0, 9), sends: []sent{rejectedAs("u1#99", "disconnected"), rejectedAs("u1#4", "disconnected")},
			want: pass, rejected: 2, note: "2 publish(es) rejected by the library: disconnected ×2"},
		{name: "refused by the server, yet in history: a note", read: seq(0, 9), sends: []sent{rejectedAs("u1#4", "unavailable")},
			want: pass, rejected: 1, note: `1 publish(es) rejected, yet in the room: "u1#4" (unavailable)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hist := h
			if tt.hist != nil {
				hist = tt.hist
			}
			tr := newTruth(hist, 1000)
			tr.losses = tt.losses
			rec := &record{Name: "r0c0", Room: "r0", User: "u1", Conns: steady(), Deliveries: reads(h, tt.read...), Sends: tt.sends, Sent: len(tt.sends)}
			r := checkClient(rec, tr, t0, nil)
			if r.Verdict != tt.want || r.Unsaved != tt.unsaved || r.Acked != tt.acked || r.Rejected != tt.rejected {
				t.Errorf("verdict %s acked %d rejected %d unsaved %d, want %s %d %d %d; problems %q", r.Verdict, r.Acked, r.Rejected, r.Unsaved,
					tt.want, tt.acked, tt.rejected, tt.unsaved, r.Problems)
			}
			if tt.problem != "" && !slices.Contains(r.Problems, tt.problem) {
				t.Errorf("problems %q\nwant %q", r.Problems, tt.problem)
			}
			if tt.note != "" && !slices.Contains(r.Notes, tt.note) {
				t.Errorf("notes %q\nwant %q", r.Notes, tt.note)
			}
		})
	}
}

// TestLostByRedis: an id read live that history does not hold is a
// failure, unless it was published while the room's master was being
// killed and replaced; then it is reported as lost by Redis. An id history
// holds and the client missed fails the run all the same.
func TestLostByRedis(t *testing.T) {
	full := history(10)
	kept := slices.Concat(full[:5], full[7:]) // 5 and 6 gone with the dead master
	rec := &record{Name: "c", Room: "r0", User: "u1", Conns: steady(), Deliveries: reads(full, seq(0, 9)...)}

	r := checkClient(rec, newTruth(kept, 1000), t0, nil)
	if r.Verdict != failed || r.Unknown != 2 || r.LostByRedis != 0 {
		t.Errorf("no failover: verdict %s, unknown %d, lost by Redis %d, want a failure", r.Verdict, r.Unknown, r.LostByRedis)
	}

	tr := newTruth(kept, 1000)
	tr.losses = [][2]int64{{full[4].TS, full[6].TS}}
	r = checkClient(rec, tr, t0, nil)
	if r.Verdict != pass || r.Unknown != 0 || r.EchoLost != 0 || r.LostByRedis != 2 || !slices.Equal(r.LostByRedisIDs, []string{id(5), id(6)}) {
		t.Errorf("in the failover: verdict %s, unknown %d, echo lost %d, lost by Redis %d %v %q", r.Verdict, r.Unknown, r.EchoLost, r.LostByRedis, r.LostByRedisIDs, r.Problems)
	}

	tr.losses = [][2]int64{{full[5].TS, full[5].TS}} // 6 falls outside
	if r = checkClient(rec, tr, t0, nil); r.Verdict != failed || r.Unknown != 1 || r.LostByRedis != 1 {
		t.Errorf("one outside the window: verdict %s, unknown %d, lost by Redis %d", r.Verdict, r.Unknown, r.LostByRedis)
	}

	tr.losses = [][2]int64{{full[4].TS, full[6].TS}}
	missed := &record{Name: "d", Room: "r0", User: "u3", Conns: steady(), Deliveries: reads(full, cat(seq(0, 6), seq(8, 9))...)}
	if r = checkClient(missed, tr, t0, nil); r.Verdict != failed || r.Missing != 1 || r.LostByRedis != 2 {
		t.Errorf("a missed id history holds: verdict %s, missing %d, lost by Redis %d", r.Verdict, r.Missing, r.LostByRedis)
	}

	rep := buildReport(params{Duration: 8 * time.Second, Rooms: 1, Clients: 1, Rate: 3, Cluster: true}, 5, t0, []string{"r0"},
		map[string][]entry{"r0": kept}, []*record{rec}, nil, nil, nil, nil,
		[]lossWindow{{Rooms: []string{"r0"}, From: time.UnixMilli(full[4].TS), To: time.UnixMilli(full[6].TS)}})
	var b strings.Builder
	printTables(&b, rep)
	if rep.Verdict != pass || !slices.Equal(rep.LostByRedis["r0"], []string{id(5), id(6)}) || !strings.Contains(b.String(), "lost by Redis in the failover") ||
		!strings.Contains(b.String(), "-cluster") {
		t.Errorf("report: verdict %s, lost %v\n%s", rep.Verdict, rep.LostByRedis, b.String())
	}
}
