package main

import (
	"slices"
	"strings"
	"testing"
)

func TestServerEnv(t *testing.T) {
	t.Setenv("RATE_LIMIT", "1")        // the caller's shell must not change what is measured
	t.Setenv("JWT_LEEWAY", "30s")      // left at rt's default: removed
	t.Setenv("SOMETHING_ELSE", "kept") // not rt's: passed on
	env := serverEnv(8123, "", map[string]string{"RATE_BURST": "5000", "LOG_LEVEL": "error"})
	get := func(k string) []string {
		var vals []string
		for _, kv := range env {
			if key, v, _ := strings.Cut(kv, "="); key == k {
				vals = append(vals, v)
			}
		}
		return vals
	}
	for k, want := range map[string]string{
		"PORT": "8123", "HOST": "127.0.0.1", "RATE_LIMIT": "20", "RATE_BURST": "5000",
		"LOG_LEVEL": "error", "REDIS_URL": "", "SOMETHING_ELSE": "kept",
	} {
		if got := get(k); !slices.Equal(got, []string{want}) {
			t.Errorf("%s = %q, want exactly [%q]", k, got, want)
		}
	}
	if got := get("JWT_LEEWAY"); got != nil {
		t.Errorf("JWT_LEEWAY = %q, want it unset", got)
	}
}

func TestFanoutLimits(t *testing.T) {
	if got := fanoutLimits(50); got["RATE_LIMIT"] != "1000" || got["RATE_BURST"] != "1000" {
		t.Errorf("fanoutLimits(50) = %v, want 1000 as today", got)
	}
	if got := fanoutLimits(1e6); got["RATE_LIMIT"] != "2000000" {
		t.Errorf("fanoutLimits(1e6) = %v", got)
	}
}
