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
	Complete   int    `json:"complete"`     // history.recovered with complete:true
	Incomplete int    `json:"incomplete"`   // … with complete:false
	Sent       int    `json:"sent"`         // Publish calls
	Acked      int    `json:"acked"`        // … answered with an ack
	Rejected   int    `json:"rejected"`     // … answered with an error
	Dropped    int    `json:"lib_dropped"`  // deliveries the library dropped as repeats
	Echoed     int    `json:"echoed"`       // its own messages it read back
	EchoLost   int    `json:"echo_lost"`    // … of which history does not hold
	Expected   int    `json:"expected"`     // the room's ids from its first to the end
	Received   int    `json:"received"`     // deliveries read, repeats included
	Missing    int    `json:"missing"`      // expected and never read
	Dup        int    `json:"duplicated"`   // reads of an id already read
	OutOfOrder int    `json:"out_of_order"` // an id read after a greater one
	Unknown    int    `json:"not_in_history"`
	Unsaved    int    `json:"acked_not_in_history"` // acked, and history does not hold the ack's id with its text
	BadIDs     int    `json:"bad_ids"`              // ids that are not 28 lowercase hex characters
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
		r.Notes = append(r.Notes, fmt.Sprintf("the library reported %s ×%d (OnError)", code, rec.Errors[code]))
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

	// What it published. The library answers every Publish: with an ack,
	// and then history holds the message under the ack's id (unless
	// trimmed away, or lost by Redis in a failover), or with an error. A
	// message rejected as disconnected or timeout was sent and not
	// answered: it may have been published all the same. Rejected for any
	// other reason, the library never sent it (queue_full) or the server
	// refused it: history holding it is worth a note.
	echoed := map[string]bool{}
	for _, d := range rec.Deliveries {
		if d.User == rec.User {
			echoed[d.Text] = true
		}
	}
	rejected := map[string]int{}
	var unanswered, ackLost, refusedHeld []string
	for _, s := range rec.Sends {
		switch {
		case s.Done.IsZero():
			unanswered = append(unanswered, fmt.Sprintf("%q at %s", s.Text, fmtOff(s.At.Sub(start))))
		case s.Err == "":
			r.Acked++
			e := t.entryOf(s.ID)
			switch {
			case e != nil && e.Text == s.Text:
			case e == nil && (t.older(s.ID) || t.lostInFailover(s.TS)):
			case e == nil:
				r.Unsaved++
				ackLost = append(ackLost, fmt.Sprintf("%q acked as %s at %s, which history does not hold", s.Text, s.ID, fmtOff(s.Done.Sub(start))))
			default:
				r.Unsaved++
				ackLost = append(ackLost, fmt.Sprintf("%q acked as %s, which history holds as %q", s.Text, s.ID, e.Text))
			}
		default:
			r.Rejected++
			rejected[s.Err]++
			if (echoed[s.Text] || t.texts[s.Text]) && s.Err != "disconnected" && s.Err != "timeout" {
				refusedHeld = append(refusedHeld, fmt.Sprintf("%q (%s)", s.Text, s.Err))
			}
		}
	}
	if len(unanswered) > 0 {
		strict = append(strict, fmt.Sprintf("%d Publish call(s) never returned: %s", len(unanswered), strings.Join(capLines(unanswered, 5), ", ")))
	}
	strict = append(strict, ackLost...)
	if len(rejected) > 0 {
		var parts []string
		for _, code := range slices.Sorted(maps.Keys(rejected)) {
			parts = append(parts, fmt.Sprintf("%s ×%d", code, rejected[code]))
		}
		r.Notes = append(r.Notes, fmt.Sprintf("%d publish(es) rejected by the library: %s", r.Rejected, strings.Join(parts, ", ")))
	}
	if len(refusedHeld) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d publish(es) rejected, yet in the room: %s", len(refusedHeld), strings.Join(refusedHeld, ", ")))
	}
	if rec.Dropped > 0 {
		r.Dropped = rec.Dropped
		r.Notes = append(r.Notes, fmt.Sprintf("the library dropped %d delivery(ies) it had already handed over", rec.Dropped))
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
