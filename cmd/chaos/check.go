package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// verdict is what one client, or room, means for the run.
type verdict string

const (
	pass   verdict = "ok"
	failed verdict = "FAIL"
	// exempt: the client got complete:false at least once, so the server
	// told it that its history could not cover the gap; its losses are
	// reported but do not fail the run.
	exempt verdict = "exempt"
)

// idPattern is the contract's message id: 28 lowercase hex characters.
var idPattern = regexp.MustCompile(`^[0-9a-f]{28}$`)

// clientResult is the checker's reading of one client.
type clientResult struct {
	Client     string `json:"client"`
	Room       string `json:"room"`
	Nodes      string `json:"nodes"` // the nodes of its connections, in order: "1→2→1"
	Reconnects int    `json:"reconnects"`
	Complete   int    `json:"complete"`   // history.recovered with complete:true
	Incomplete int    `json:"incomplete"` // … with complete:false
	Sent       int    `json:"sent"`
	Echoed     int    `json:"echoed"`       // its own messages it read back
	EchoLost   int    `json:"echo_lost"`    // … of which history does not hold
	Expected   int    `json:"expected"`     // the room's ids from its first to the end
	Received   int    `json:"received"`     // deliveries read, repeats included
	Missing    int    `json:"missing"`      // expected and never read
	Dup        int    `json:"duplicated"`   // reads of an id already read
	OutOfOrder int    `json:"out_of_order"` // an id read after a greater one
	Unknown    int    `json:"not_in_history"`
	Unsaved    int    `json:"sent_not_in_history"` // written, never read back, not in history
	BadIDs     int    `json:"bad_ids"`             // ids that are not 28 lowercase hex characters
	// LostByRedis: read live, not in history, published while the room's
	// master was being killed and replaced: written by a master that died
	// before its replica had it. Reported, not a failure.
	LostByRedis    int      `json:"lost_by_redis"`
	LostByRedisIDs []string `json:"lost_by_redis_ids,omitempty"`
	MissingIDs     []string `json:"missing_ids,omitempty"`
	Problems       []string `json:"problems,omitempty"` // what is wrong, in words, with the faults near a loss
	Notes          []string `json:"notes,omitempty"`    // worth knowing, not a failure
	Verdict        verdict  `json:"verdict"`
}

// checkClient compares what one client read with its room's history.
//
// The client is expected to have read every id of the room from the first
// one it read (or, if it read none, from the first published after it
// joined) to the end, each once, in increasing order, whatever happened to
// its connection and its node on the way.
func checkClient(rec *record, t *truth, start time.Time, events []event) clientResult {
	r := clientResult{Client: rec.Name, Room: rec.Room, Sent: rec.Sent, Received: len(rec.Deliveries)}
	r.Nodes, r.Reconnects = nodesOf(rec.Conns), max(len(rec.Conns)-1, 0)
	var problems, strict []string // strict: fail the run even for an exempt client

	// Recoveries.
	for i, s := range rec.Conns {
		switch {
		case s.Recovered != nil && s.Recovered.Complete:
			r.Complete++
		case s.Recovered != nil:
			r.Incomplete++
		case s.Since != "" && s.Ended == "":
			strict = append(strict, fmt.Sprintf("connection %d (node %d, since=%s) never got history.recovered", i+1, s.Node+1, s.Since))
		}
		if s.Recovered != nil && s.Recovered.Count != s.Replayed {
			r.Notes = append(r.Notes, fmt.Sprintf("connection %d: history.recovered said count %d, %d deliveries came before it", i+1, s.Recovered.Count, s.Replayed))
		}
		if s.Ended != "" && s.Ended != "cut" && s.Ended != "closed 1001" {
			r.Notes = append(r.Notes, fmt.Sprintf("connection %d (node %d) ended by itself: %s", i+1, s.Node+1, s.Ended))
		}
		if s.Since != "" && s.Recovered == nil && s.Ended != "" {
			r.Notes = append(r.Notes, fmt.Sprintf("connection %d ended (%s) before its history.recovered", i+1, s.Ended))
		}
	}
	for _, code := range slices.Sorted(maps.Keys(rec.Errors)) {
		r.Notes = append(r.Notes, fmt.Sprintf("the server answered system.error %s ×%d", code, rec.Errors[code]))
	}
	if n := len(rec.Conns); n == 0 || rec.Conns[n-1].Ended != "" {
		strict = append(strict, "not connected when the run ended")
	}

	// What it read: repeats, order, ids history does not hold.
	seen := make(map[string]bool, len(rec.Deliveries))
	var top string
	first := -1
	for _, d := range rec.Deliveries {
		if seen[d.ID] {
			r.Dup++
			problems = append(problems, fmt.Sprintf("duplicate %s (connection %d)", d.ID, d.Conn+1))
			continue
		}
		seen[d.ID] = true
		if !idPattern.MatchString(d.ID) {
			r.BadIDs++
		}
		if d.ID < top {
			r.OutOfOrder++
			problems = append(problems, fmt.Sprintf("out of order: %s read after %s (connection %d)", d.ID, top, d.Conn+1))
		}
		top = max(top, d.ID)
		p, ok := t.pos[d.ID]
		switch {
		case ok && first < 0:
			first = p
		case !ok && !t.older(d.ID) && t.lostInFailover(d.TS):
			r.LostByRedis++
			r.LostByRedisIDs = append(r.LostByRedisIDs, d.ID)
		case !ok && !t.older(d.ID):
			r.Unknown++
			strict = append(strict, fmt.Sprintf("read %s (%q), which history does not hold", d.ID, d.Text))
		}
		if d.User == rec.User {
			r.Echoed++
			if e := t.entryOf(d.ID); (e == nil && !t.older(d.ID) && !t.lostInFailover(d.TS)) || (e != nil && e.Text != d.Text) {
				r.EchoLost++
				strict = append(strict, fmt.Sprintf("its own %q came back as %s, which history does not hold", d.Text, d.ID))
			}
		}
	}
	if r.LostByRedis > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d message(s) read live that history no longer holds, published while the room's master was killed and replaced: lost by Redis in the failover: %s",
			r.LostByRedis, strings.Join(r.LostByRedisIDs, ", ")))
	}
	if r.BadIDs > 0 {
		strict = append(strict, fmt.Sprintf("%d ids are not 28 lowercase hex characters", r.BadIDs))
	}

	// What it wrote and never read back. Written on a socket that was cut
	// soon after, a message may never have reached the server: a note. On a
	// socket open to the end, the server took it and must have either
	// published it or answered system.error: a message in neither is lost.
	echoed := map[string]bool{}
	for _, d := range rec.Deliveries {
		if d.User == rec.User {
			echoed[d.Text] = true
		}
	}
	answered := 0
	for _, n := range rec.Errors {
		answered += n
	}
	var cutShort, silent []string
	for _, s := range rec.Sends {
		if echoed[s.Text] || t.texts[s.Text] || (t.trimmed && len(t.entries) > 0 && s.At.UnixMilli() <= t.entries[0].TS) {
			continue
		}
		r.Unsaved++
		if s.Conn < len(rec.Conns) && rec.Conns[s.Conn].Ended == "" {
			silent = append(silent, fmt.Sprintf("%q at %s", s.Text, fmtOff(s.At.Sub(start))))
		} else {
			how := "no connection"
			if s.Conn < len(rec.Conns) {
				how = fmt.Sprintf("connection %d, node %d, which ended: %s", s.Conn+1, rec.Conns[s.Conn].Node+1, rec.Conns[s.Conn].Ended)
			}
			cutShort = append(cutShort, fmt.Sprintf("%q at %s (%s)", s.Text, fmtOff(s.At.Sub(start)), how))
		}
	}
	if len(cutShort) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d message(s) written on a socket that ended before their echo never reached history: %s", len(cutShort), strings.Join(cutShort, ", ")))
	}
	if len(silent) > answered {
		strict = append(strict, fmt.Sprintf("%d message(s) written on a socket open to the end, neither read back nor in history, with %d system.error answer(s) in all: %s",
			len(silent), answered, strings.Join(silent, ", ")))
	}

	// What it should have read.
	if first < 0 {
		first = len(t.entries)
		if at := joinedAt(rec); !at.IsZero() {
			first = slices.IndexFunc(t.entries, func(e entry) bool { return e.TS > at.UnixMilli() })
			if first < 0 {
				first = len(t.entries)
			}
		}
	}
	r.Expected = len(t.entries) - first
	var gap []int
	for i := first; i < len(t.entries); i++ {
		if !seen[t.entries[i].ID] {
			r.Missing++
			gap = append(gap, i)
		}
	}
	for _, run := range runs(gap) {
		a, b := t.entries[run[0]], t.entries[run[1]]
		problems = append(problems, fmt.Sprintf("missing %d: %s … %s, published %s … %s; faults near: %s",
			run[1]-run[0]+1, a.ID, b.ID, offset(a.TS, start), offset(b.TS, start), near(events, a.TS, b.TS)))
	}
	for _, i := range gap[:min(len(gap), 20)] {
		r.MissingIDs = append(r.MissingIDs, t.entries[i].ID)
	}

	incomplete := r.Incomplete > 0
	switch {
	case len(strict) > 0:
		r.Verdict = failed
	case len(problems) > 0 && incomplete:
		r.Verdict = exempt
	case len(problems) > 0:
		r.Verdict = failed
	default:
		r.Verdict = pass
	}
	r.Problems = capLines(append(strict, problems...), 12)
	return r
}

// joinedAt is when the client was first in the room: the first frame of its
// first connection (the server sends nothing before the join), or the 101 if
// no frame came.
func joinedAt(rec *record) time.Time {
	if len(rec.Conns) == 0 {
		return time.Time{}
	}
	if s := rec.Conns[0]; !s.Joined.IsZero() {
		return s.Joined
	}
	return rec.Conns[0].Up
}

// runs groups sorted positions into [first, last] runs of consecutive ones.
func runs(ps []int) [][2]int {
	var out [][2]int
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1][1] == p-1 {
			out[n-1][1] = p
		} else {
			out = append(out, [2]int{p, p})
		}
	}
	return out
}

// near names the faults from 3 s before a loss began to 1 s after it ended:
// a fault's effects reach clients a little after it, and a reconnect's
// replay ends a little after the messages it should have carried.
func near(events []event, fromMS, toMS int64) string {
	var out []string
	for _, e := range events {
		ms := e.At.UnixMilli()
		if ms >= fromMS-3000 && ms <= toMS+1000 {
			out = append(out, fmt.Sprintf("%s at %s", e.What, fmtOff(e.Off)))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

func offset(ms int64, start time.Time) string { return fmtOff(time.UnixMilli(ms).Sub(start)) }

func fmtOff(d time.Duration) string { return fmt.Sprintf("%+.3fs", d.Seconds()) }

// nodesOf is the nodes of a client's connections, 1-based, a repeat shown once.
func nodesOf(ss []connection) string {
	var out []string
	for i, s := range ss {
		if i == 0 || ss[i-1].Node != s.Node {
			out = append(out, fmt.Sprint(s.Node+1))
		}
	}
	return strings.Join(out, "→")
}

func capLines(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], fmt.Sprintf("… and %d more", len(lines)-n))
}
