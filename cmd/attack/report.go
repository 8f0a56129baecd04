package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

// result is one scenario run against one binary: a markdown row, and the
// figures behind it.
type result struct {
	Binary        string   `json:"binary"`
	Scenario      string   `json:"scenario"`
	Mode          string   `json:"mode"`
	Command       string   `json:"command"`
	Attack        string   `json:"attack"`
	RSSBefore     uint64   `json:"rss_before_bytes"`
	RSSPeak       uint64   `json:"rss_peak_bytes"`  // sampled every 100 ms, from before to after
	RSSEnd        uint64   `json:"rss_end_bytes"`   // 1 s after the attack, sockets still open
	RSSAfter      uint64   `json:"rss_after_bytes"` // 1 s after the attacker's sockets were read and closed
	ServerCPU     float64  `json:"server_cpu_seconds"`
	Wall          float64  `json:"wall_seconds"` // the window ServerCPU covers: the attack and 1 s after
	RedisCPU      float64  `json:"redis_cpu_seconds,omitempty"`
	RedisCPUError string   `json:"redis_cpu_error,omitempty"` // INFO cpu could not be read
	Saw           string   `json:"attacker_saw"`
	Also          string   `json:"also,omitempty"`
	Moved         []string `json:"counters_moved,omitempty"` // rt_ counters of /metrics over the window
	Figures       any      `json:"figures,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// header is the markdown table's head: two runs (a before binary and an
// after binary) paste into one table by dropping the second one's.
const header = "| binary | scenario | mode | attack | server RSS before → peak → end → after close | server CPU | the attacker saw | also |\n" +
	"|---|---|---|---|---|---|---|---|"

// printMarkdown writes one row per scenario, then each row's command and
// the counters that moved.
func printMarkdown(w io.Writer, results []*result) {
	fmt.Fprintln(w, header)
	for _, r := range results {
		fmt.Fprintln(w, r.row())
	}
	for _, r := range results {
		fmt.Fprintf(w, "\n%s, %s (`%s`):\n", r.Binary, r.Scenario, r.Command)
		if len(r.Moved) == 0 {
			fmt.Fprintln(w, "- counters of /metrics that moved: none read")
			continue
		}
		fmt.Fprintf(w, "- counters of /metrics that moved: %s\n", strings.Join(r.Moved, ", "))
	}
}

func (r *result) row() string {
	saw := r.Saw
	if r.Error != "" {
		saw = "**failed**: " + r.Error
	}
	cpu := cpuCell(r.ServerCPU, r.Wall)
	switch {
	case r.RedisCPUError != "":
		cpu += "; Redis: INFO cpu unreadable (" + r.RedisCPUError + ")"
	case r.Mode == "redis":
		cpu += fmt.Sprintf("; Redis %.2f s", r.RedisCPU)
	}
	rss := "—"
	if r.RSSBefore > 0 {
		rss = fmt.Sprintf("%s → **%s** → %s → %s", mdtable.MiB(float64(r.RSSBefore)), mdtable.MiB(float64(r.RSSPeak)), mdtable.MiB(float64(r.RSSEnd)), mdtable.MiB(float64(r.RSSAfter)))
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |",
		mdtable.Cell(r.Binary), r.Scenario, r.Mode, mdtable.Dash(r.Attack), rss, cpu, mdtable.Dash(saw), mdtable.Dash(r.Also))
}

// printJSON writes the results as JSON; the cells lose their markdown bold.
func printJSON(w io.Writer, results []*result) error {
	plain := make([]result, len(results))
	for i, r := range results {
		plain[i] = *r
		for _, c := range []*string{&plain[i].Saw, &plain[i].Also, &plain[i].Attack} {
			*c = strings.ReplaceAll(*c, "**", "")
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(plain)
}

// anyFailed is whether a scenario could not be run to its end.
func anyFailed(results []*result) bool {
	return slices.ContainsFunc(results, func(r *result) bool { return r.Error != "" })
}

// cpuCell is "1.23 s in 11.0 s (11% of one core)".
func cpuCell(cpuSeconds, wallSeconds float64) string {
	if wallSeconds <= 0 {
		return fmt.Sprintf("%.2f s", cpuSeconds)
	}
	return fmt.Sprintf("%.2f s in %.1f s (%.0f%% of one core)", cpuSeconds, wallSeconds, cpuSeconds/wallSeconds*100)
}

// perSecond is mdtable.Counts as rates: "429 too_many_connections 2,106/s (21,065)".
func perSecond(m map[string]int, seconds float64) string {
	return mdtable.CountsBy(m, func(k string, v int) string {
		return fmt.Sprintf("%s %s/s (%s)", k, thousands(float64(v)/seconds), thousands(float64(v)))
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// thousands is n rounded, with commas: "386,000,000".
func thousands(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
