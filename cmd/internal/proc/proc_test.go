package proc

import (
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		status string
		want   uint64
		ok     bool
	}{
		{"Name:\trt\nVmPeak:\t  20000 kB\nVmRSS:\t   16384 kB\nThreads:\t5\n", 16384 * 1024, true},
		{"VmRSS:\t0 kB\n", 0, true},
		{"Name:\trt\n", 0, false},
		{"VmRSS:\tlots\n", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseVmRSS([]byte(tt.status))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseVmRSS(%q) = %d, %v; want %d, ok=%v", tt.status, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	// Fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
	tail := " S 1 2 3 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 5 0 100 1000 200"
	tests := []struct {
		stat string
		want time.Duration
		ok   bool
	}{
		{"1234 (rt)" + tail, 3 * time.Second, true},
		{"1234 (rt (odd) name)" + tail, 3 * time.Second, true}, // parentheses in the name
		{"1234 (a b)" + tail, 3 * time.Second, true},           // spaces in the name
		{"1234 (rt) S 1 2 3", 0, false},
		{"1234 rt" + tail, 0, false},
		{"1234 (rt) S 1 2 3 0 -1 4194304 100 0 0 0 x 50", 0, false},
		{"1234 (rt) S 1 2 3 0 -1 4194304 100 0 0 0 -5 50", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseStatCPU([]byte(tt.stat))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseStatCPU(%q) = %v, %v; want %v, ok=%v", tt.stat, got, err, tt.want, tt.ok)
		}
	}
}

func TestCPUList(t *testing.T) {
	tests := []struct {
		cpus []int
		want string
	}{
		{[]int{0}, "0"}, {[]int{1}, "1"}, {[]int{1, 2, 3}, "1-3"}, {[]int{0, 2}, "0,2"},
		{[]int{3, 1, 2, 7, 9, 10}, "1-3,7,9-10"}, {nil, ""},
	}
	for _, tt := range tests {
		if got := CPUList(tt.cpus); got != tt.want {
			t.Errorf("CPUList(%v) = %q, want %q", tt.cpus, got, tt.want)
		}
	}
}
