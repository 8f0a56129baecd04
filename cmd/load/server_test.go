package main

import "testing"

func TestFanoutLimits(t *testing.T) {
	if got := fanoutLimits(50); got["RATE_LIMIT"] != "1000" || got["RATE_BURST"] != "1000" {
		t.Errorf("fanoutLimits(50) = %v, want 1000 as today", got)
	}
	if got := fanoutLimits(1e6); got["RATE_LIMIT"] != "2000000" {
		t.Errorf("fanoutLimits(1e6) = %v", got)
	}
}
