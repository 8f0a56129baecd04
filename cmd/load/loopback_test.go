package main

import (
	"context"
	"strings"
	"testing"
)

func TestCheckRedisURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"redis://127.0.0.1:6379", true},
		{"redis://user:pw@127.0.0.1:6380/2", true},
		{"rediss://127.0.0.1:6379", true},
		{"redis://[::1]:6379", true},
		{"redis://localhost:6379", false}, // a name could resolve anywhere
		{"redis://10.0.0.5:6379", false},
		{"redis://example.com:6379", false},
		{"http://127.0.0.1:6379", false},
		{"127.0.0.1:6379", false},
	}
	for _, tt := range tests {
		if err := checkRedisURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("checkRedisURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestDialLoopbackRefusesOtherHosts(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:80", "example.com:80", "0.0.0.0:80", "localhost:80"} {
		_, err := dialLoopback(context.Background(), "tcp", addr)
		if err == nil || !strings.Contains(err.Error(), "only loopback") {
			t.Errorf("dialLoopback(%q) = %v, want a refusal", addr, err)
		}
	}
}
