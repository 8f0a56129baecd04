// Package mdtable is the cell text of the markdown tables the programs
// under cmd/ print: a value that cannot break its row, a dash for nothing,
// sizes, and causes counted most frequent first.
package mdtable

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Cell keeps a value from breaking the table.
func Cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ")
}

// Dash is Cell, or "—" for an empty value.
func Dash(s string) string {
	if s == "" {
		return "—"
	}
	return Cell(s)
}

// MiB is "1.5 MiB" for b bytes.
func MiB(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// KiB is "1.5 KiB" for b bytes.
func KiB(b float64) string { return fmt.Sprintf("%.1f KiB", b/(1<<10)) }

// Counts is a map of causes as "4002 ×3, 1006 (no close frame) ×1", most
// frequent first, or "none".
func Counts(m map[string]int) string {
	return CountsBy(m, func(k string, v int) string { return fmt.Sprintf("%s ×%d", k, v) })
}

// CountsBy is Counts with each cause written by format.
func CountsBy(m map[string]int, format func(cause string, n int) string) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = format(k, m[k])
	}
	return strings.Join(parts, ", ")
}
