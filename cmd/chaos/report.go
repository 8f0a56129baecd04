package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// report is a run's findings.
type report struct {
	Seed         int64          `json:"seed"`
	Cluster      bool           `json:"cluster"` // on a Redis Cluster, with its faults
	Command      string         `json:"command"` // repeats the run's schedule
	Duration     string         `json:"duration"`
	Rooms        int            `json:"rooms"`
	Clients      int            `json:"clients_per_room"`
	Rate         float64        `json:"rate"`
	HistorySize  int            `json:"history_size"`
	Faults       []event        `json:"faults"`
	FaultErrors  []string       `json:"fault_errors,omitempty"`
	Crashes      []string       `json:"crashes,omitempty"`
	DialFailures map[string]int `json:"dial_failures,omitempty"` // refused or failed reconnects by cause: expected while a node is down
	RoomResults  []roomResult   `json:"room_results"`
	Results      []clientResult `json:"client_results"`
	Total        totals         `json:"total"`
	// LostByRedis is, by room, the ids clients read live that history no
	// longer holds, published while the room's master was killed and
	// replaced: lost by Redis itself in the failover, not by rt.
	LostByRedis map[string][]string `json:"lost_by_redis,omitempty"`
	Verdict     verdict             `json:"verdict"`
	Reasons     []string            `json:"reasons,omitempty"` // why it failed
}

type totals struct {
	Clients    int `json:"clients"`
	Failed     int `json:"failed"`
	Exempt     int `json:"exempt"`
	Told       int `json:"told_incomplete"` // clients told complete:false at least once
	Reconnects int `json:"reconnects"`
	Complete   int `json:"complete"`
	Incomplete int `json:"incomplete"`
	Sent       int `json:"sent"`
	Acked      int `json:"acked"`
	Rejected   int `json:"rejected"`
	Dropped    int `json:"lib_dropped"` // deliveries the library dropped as repeats
	Echoed     int `json:"echoed"`
	EchoLost   int `json:"echo_lost"`
	Expected   int `json:"expected"`
	Received   int `json:"received"`
	Missing    int `json:"missing"`
	Dup        int `json:"duplicated"`
	OutOfOrder int `json:"out_of_order"`
	Unknown    int `json:"not_in_history"`
	Unsaved    int `json:"acked_not_in_history"`
	LostRedis  int `json:"lost_by_redis"` // deliveries of ids lost by Redis in a failover
}

// buildReport checks every room and client and decides the run.
func buildReport(p params, seed int64, start time.Time, rooms []string, histories map[string][]entry,
	recs []*record, events []event, faultErrs, crashes []string, dialFails map[string]int, losses []lossWindow) *report {
	r := &report{
		Seed: seed, Cluster: p.Cluster, Duration: p.Duration.String(), Rooms: p.Rooms, Clients: p.Clients, Rate: p.Rate,
		HistorySize: p.historySize(), Faults: events, FaultErrors: faultErrs, Crashes: crashes, DialFailures: dialFails,
		Command: fmt.Sprintf("go tool task chaos -- -seed %d -duration %s -rooms %d -clients %d -rate %g", seed, p.Duration, p.Rooms, p.Clients, p.Rate),
		Verdict: pass,
	}
	if p.History > 0 {
		r.Command += fmt.Sprintf(" -history %d", p.History)
	}
	if p.Cluster {
		r.Command += " -cluster"
	}
	truths := map[string]*truth{}
	for _, room := range rooms {
		truths[room] = newTruth(histories[room], r.HistorySize)
		for _, w := range losses {
			if slices.Contains(w.Rooms, room) {
				truths[room].losses = append(truths[room].losses, [2]int64{w.From.UnixMilli(), w.To.UnixMilli()})
			}
		}
		rr := checkRoom(room, truths[room], recs)
		r.RoomResults = append(r.RoomResults, rr)
		if rr.Verdict == failed {
			r.Reasons = append(r.Reasons, fmt.Sprintf("room %s: history is wrong", room))
		}
	}
	for _, rec := range recs {
		cr := checkClient(rec, truths[rec.Room], start, events)
		r.Results = append(r.Results, cr)
		t := &r.Total
		t.Clients++
		t.Reconnects += cr.Reconnects
		t.Complete += cr.Complete
		t.Incomplete += cr.Incomplete
		if cr.Incomplete > 0 {
			t.Told++
		}
		t.Sent += cr.Sent
		t.Acked += cr.Acked
		t.Rejected += cr.Rejected
		t.Dropped += cr.Dropped
		t.Echoed += cr.Echoed
		t.EchoLost += cr.EchoLost
		t.Expected += cr.Expected
		t.Received += cr.Received
		t.Missing += cr.Missing
		t.Dup += cr.Dup
		t.OutOfOrder += cr.OutOfOrder
		t.Unknown += cr.Unknown
		t.Unsaved += cr.Unsaved
		t.LostRedis += cr.LostByRedis
		for _, id := range cr.LostByRedisIDs {
			if r.LostByRedis == nil {
				r.LostByRedis = map[string][]string{}
			}
			if !slices.Contains(r.LostByRedis[rec.Room], id) {
				r.LostByRedis[rec.Room] = append(r.LostByRedis[rec.Room], id)
			}
		}
		switch cr.Verdict {
		case failed:
			t.Failed++
		case exempt:
			t.Exempt++
		}
	}
	if r.Total.Failed > 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d of %d clients lost, repeated or reordered messages, or read what history does not hold", r.Total.Failed, r.Total.Clients))
	}
	for _, c := range crashes {
		r.Reasons = append(r.Reasons, "a node crashed: "+firstLine(c))
	}
	for _, e := range faultErrs {
		r.Reasons = append(r.Reasons, "a fault could not be carried out: "+e)
	}
	if len(r.Reasons) > 0 {
		r.Verdict = failed
	}
	return r
}

func printJSON(w io.Writer, r *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// printTables writes the report as markdown: the faults, one row per
// client with a total, the rooms, the problems in words, and the verdict.
func printTables(w io.Writer, r *report) {
	on := "one redis-server"
	if r.Cluster {
		on = "a Redis Cluster of 3 masters and 3 replicas"
	}
	fmt.Fprintf(w, "## chaos: seed %d, %d rooms × %d clients, %g msg/s each, %s, HISTORY_SIZE %d, on %s\n\n", r.Seed, r.Rooms, r.Clients, r.Rate, r.Duration, r.HistorySize, on)
	fmt.Fprintf(w, "repeat: `%s`\n\n", r.Command)

	fmt.Fprintln(w, "| at | fault |")
	fmt.Fprintln(w, "|---|---|")
	for _, e := range r.Faults {
		fmt.Fprintf(w, "| %s | %s |\n", fmtOff(e.Off), e.What)
	}
	for _, e := range r.FaultErrors {
		fmt.Fprintf(w, "| — | NOT CARRIED OUT: %s |\n", e)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| client | room | nodes | reconnects | recovered complete / incomplete | sent / acked / rejected | acked, not in history | own read back | expected | received | repeats dropped by the library | missing | duplicated | out of order | not in history | verdict |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, c := range r.Results {
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d / %d | %d / %d / %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n",
			c.Client, c.Room, c.Nodes, c.Reconnects, c.Complete, c.Incomplete, c.Sent, c.Acked, c.Rejected, c.Unsaved, c.Echoed, c.Expected, c.Received,
			c.Dropped, c.Missing, c.Dup, c.OutOfOrder, c.Unknown, c.Verdict)
	}
	t := r.Total
	fmt.Fprintf(w, "| **total** | %d clients | | %d | %d / %d | %d / %d / %d | %d | %d | %d | %d | %d | **%d** | **%d** | **%d** | **%d** | %d failed, %d exempt |\n\n",
		t.Clients, t.Reconnects, t.Complete, t.Incomplete, t.Sent, t.Acked, t.Rejected, t.Unsaved, t.Echoed, t.Expected, t.Received, t.Dropped,
		t.Missing, t.Dup, t.OutOfOrder, t.Unknown, t.Failed, t.Exempt)

	fmt.Fprintln(w, "| room | in history | sent | verdict |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, rr := range r.RoomResults {
		note := ""
		if rr.Trimmed {
			note = " (full: older messages trimmed)"
		}
		fmt.Fprintf(w, "| %s | %d%s | %d | %s |\n", rr.Room, rr.Messages, note, rr.Sent, rr.Verdict)
	}
	fmt.Fprintln(w)

	var lines []string
	for _, rr := range r.RoomResults {
		for _, p := range rr.Problems {
			lines = append(lines, fmt.Sprintf("- room %s: %s", rr.Room, p))
		}
	}
	for _, c := range r.Results {
		for _, p := range c.Problems {
			lines = append(lines, fmt.Sprintf("- %s (%s): %s", c.Client, c.Verdict, p))
		}
		for _, n := range c.Notes {
			lines = append(lines, fmt.Sprintf("- %s (note): %s", c.Client, n))
		}
	}
	for _, c := range r.Crashes {
		lines = append(lines, "- crash: "+c)
	}
	if len(lines) > 0 {
		fmt.Fprintln(w, "details:")
		fmt.Fprintln(w)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w)
	}
	if len(r.LostByRedis) > 0 {
		var parts []string
		ids := 0
		for _, room := range slices.Sorted(maps.Keys(r.LostByRedis)) {
			ids += len(r.LostByRedis[room])
			parts = append(parts, fmt.Sprintf("%s: %s", room, strings.Join(r.LostByRedis[room], ", ")))
		}
		fmt.Fprintf(w, "lost by Redis in the failover (read live, published while the room's master was killed and replaced, no longer in history; not a failure of rt): %d id(s), %d deliveries: %s\n\n",
			ids, t.LostRedis, strings.Join(parts, "; "))
	}
	if len(r.DialFailures) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.DialFailures)) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, r.DialFailures[k]))
		}
		fmt.Fprintf(w, "connection attempts refused or failed (expected while a node is stopping or down, or a cut client's first dial): %s\n\n", strings.Join(parts, ", "))
	}

	if r.Verdict == failed {
		fmt.Fprintf(w, "**FAIL**: %s\n", strings.Join(r.Reasons, "; "))
	} else {
		fmt.Fprintf(w, "**PASS**: %d clients, %d faults, %d reconnects: every client read every message of its room from its first on, once and in order (%d missing, %d duplicated, %d out of order), and every acked message is in history\n",
			t.Clients, len(r.Faults), t.Reconnects, t.Missing, t.Dup, t.OutOfOrder)
	}
	fmt.Fprintf(w, "Clients told complete:false on a reconnect (%d here, %d of them with losses) are reported, as exempt, but their losses do not fail the run.\n", t.Told, t.Exempt)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
