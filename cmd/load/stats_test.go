package main

import "testing"

func TestPercentile(t *testing.T) {
	oneToTen := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	tests := []struct {
		name   string
		sorted []int64
		p      float64
		want   int64
	}{
		{"empty", nil, 50, 0},
		{"single p50", []int64{7}, 50, 7},
		{"single p99", []int64{7}, 99, 7},
		{"two p50 is the lower", []int64{1, 2}, 50, 1},
		{"two p51 is the upper", []int64{1, 2}, 51, 2},
		{"ten p50", oneToTen, 50, 5},
		{"ten p90", oneToTen, 90, 9},
		{"ten p91", oneToTen, 91, 10},
		{"ten p99", oneToTen, 99, 10},
		{"ten max", oneToTen, 100, 10},
		{"tiny p is the minimum", oneToTen, 0.1, 1},
		{"zero p is the minimum", oneToTen, 0, 1},
		{"hundred p1", hundred, 1, 1},
		{"hundred p29 (0.29*100 is not exact)", hundred, 29, 29},
		{"hundred p99", hundred, 99, 99},
		{"hundred p99.5", hundred, 99.5, 100},
		{"repeated values", []int64{3, 3, 3, 9}, 75, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %g) = %d, want %d", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeSortsAndConverts(t *testing.T) {
	ns := []int64{4e6, 1e6, 3e6, 2e6} // 4, 1, 3, 2 ms, unsorted
	got := summarize(ns)
	want := latencies{P50: 2, P90: 4, P99: 4, Max: 4}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
}
