package main

import (
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// values: the smallest value with at least p% of the values at or below it.
// It is always one of the observed values, never an interpolation.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	// p*n first, then /100: exact for whole percentages, where 0.9*n might not be.
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// latencies are the summary docs/performance.md quotes, in milliseconds.
type latencies struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// summarize sorts ns in place and returns its percentiles in ms.
func summarize(ns []int64) latencies {
	slices.Sort(ns)
	ms := func(v int64) float64 { return float64(v) / float64(time.Millisecond) }
	return latencies{
		P50: ms(percentile(ns, 50)),
		P90: ms(percentile(ns, 90)),
		P99: ms(percentile(ns, 99)),
		Max: ms(percentile(ns, 100)),
	}
}
