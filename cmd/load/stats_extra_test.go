package main

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
		got, err := parseVmRSS([]byte(tt.status))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseVmRSS(%q) = %d, %v; want %d, ok=%v", tt.status, got, err, tt.want, tt.ok)
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
		got, err := parseStatCPU([]byte(tt.stat))
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v, ok=%v", tt.stat, got, err, tt.want, tt.ok)
		}
	}
}
