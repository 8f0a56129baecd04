package main

import "fmt"

// roomResult is the checker's reading of a room's history.
type roomResult struct {
	Room     string   `json:"room"`
	Messages int      `json:"messages"` // in history at the end
	Sent     int      `json:"sent"`     // written by the room's clients without an error
	Trimmed  bool     `json:"trimmed"`  // history was full: older messages may be gone
	Problems []string `json:"problems,omitempty"`
	Verdict  verdict  `json:"verdict"`
}

// truth is a room's history indexed for the checker.
type truth struct {
	entries []entry
	pos     map[string]int
	texts   map[string]bool
	trimmed bool
	// losses are the windows (Unix ms, both ends included) in which the
	// room's master was killed: a write it acknowledged then, delivered
	// live, may be gone from history, lost by Redis in the failover.
	losses [][2]int64
}

// lostInFailover reports whether a message published at ts (Unix ms) that
// history does not hold may have been lost by Redis in a failover.
func (t *truth) lostInFailover(ts int64) bool {
	for _, w := range t.losses {
		if w[0] <= ts && ts <= w[1] {
			return true
		}
	}
	return false
}

func newTruth(entries []entry, historySize int) *truth {
	t := &truth{entries: entries, pos: make(map[string]int, len(entries)), texts: make(map[string]bool, len(entries)),
		trimmed: len(entries) >= historySize}
	for i, e := range entries {
		t.texts[e.Text] = true
		if _, seen := t.pos[e.ID]; !seen {
			t.pos[e.ID] = i
		}
	}
	return t
}

// older reports whether id sorts before everything history holds: only a
// trimmed history may have lost such an id.
func (t *truth) older(id string) bool {
	return t.trimmed && len(t.entries) > 0 && id < t.entries[0].ID
}

// checkRoom checks a history on its own: strictly increasing valid ids, and
// no text twice (every text the clients send is unique, so a repeat is one
// message published twice).
func checkRoom(room string, t *truth, recs []*record) roomResult {
	r := roomResult{Room: room, Messages: len(t.entries), Trimmed: t.trimmed, Verdict: pass}
	for _, rec := range recs {
		if rec.Room == room {
			r.Sent += rec.Sent
		}
	}
	texts := map[string]string{}
	for i, e := range t.entries {
		if !idPattern.MatchString(e.ID) {
			r.Problems = append(r.Problems, fmt.Sprintf("id %q at position %d is not 28 lowercase hex characters", e.ID, i))
		}
		if i > 0 && e.ID <= t.entries[i-1].ID {
			r.Problems = append(r.Problems, fmt.Sprintf("history not in increasing order at position %d: %s after %s", i, e.ID, t.entries[i-1].ID))
		}
		if first, ok := texts[e.Text]; ok {
			r.Problems = append(r.Problems, fmt.Sprintf("text %q twice in history: ids %s and %s", e.Text, first, e.ID))
		}
		texts[e.Text] = e.ID
	}
	if len(r.Problems) > 0 {
		r.Verdict = failed
	}
	r.Problems = capLines(r.Problems, 10)
	return r
}

func (t *truth) entryOf(id string) *entry {
	if p, ok := t.pos[id]; ok {
		return &t.entries[p]
	}
	return nil
}
