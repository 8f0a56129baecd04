package client

import (
	"encoding/base64"
	"testing"
	"time"
)

// jwtWith is a token whose payload is payload (header and signature are
// never looked at).
func jwtWith(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + ".c2ln"
}

func TestTokenExp(t *testing.T) {
	cases := []struct {
		name  string
		token string
		want  time.Time
		ok    bool
	}{
		{"integer", jwtWith(`{"sub":"a","exp":1795660913}`), time.Unix(1795660913, 0), true},
		{"fraction", jwtWith(`{"exp":1795660913.5}`), time.Unix(1795660913, 5e8), true},
		{"exponent", jwtWith(`{"exp":1.7e9}`), time.Unix(1700000000, 0), true},
		{"padded base64", jwtWith(`{"exp":100}`)[:0] + "e30." + base64.URLEncoding.EncodeToString([]byte(`{"exp":100}`)) + ".x", time.Unix(100, 0), true},
		{"no exp", jwtWith(`{"sub":"a"}`), time.Time{}, false},
		{"exp null", jwtWith(`{"exp":null}`), time.Time{}, false},
		{"exp string", jwtWith(`{"exp":"1795660913"}`), time.Time{}, false},
		{"exp zero", jwtWith(`{"exp":0}`), time.Time{}, false},
		{"exp negative", jwtWith(`{"exp":-5}`), time.Time{}, false},
		{"year 10000", jwtWith(`{"exp":253402300800}`), time.Time{}, false},
		{"payload not JSON", jwtWith(`nope`), time.Time{}, false},
		{"payload not base64", "a.!!!.c", time.Time{}, false},
		{"two parts", "a.b", time.Time{}, false},
		{"empty", "", time.Time{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tokenExp(tc.token)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Fatalf("tokenExp = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRefreshDelay(t *testing.T) {
	now := time.Unix(1000, 0)
	cases := []struct {
		remaining, want time.Duration
	}{
		{time.Hour, time.Hour - 30*time.Second},      // long token: 30 s ahead
		{2 * time.Minute, 90 * time.Second},          // remaining/4 = 30 s: both rules agree
		{time.Minute, 45 * time.Second},              // short token: a quarter ahead
		{4 * time.Second, 3 * time.Second},           // very short
		{0, 0},                                       // expired: at once
		{-time.Second, 0},                            // past: at once
		{121 * time.Second, 91 * time.Second},        // just over: capped at 30 s
		{119 * time.Second, 119*time.Second*3/4 + 0}, // just under: a quarter
	}
	for _, tc := range cases {
		if got := refreshDelay(now, now.Add(tc.remaining)); got != tc.want {
			t.Errorf("refreshDelay(remaining %s) = %s, want %s", tc.remaining, got, tc.want)
		}
	}
}

func TestRefreshRetry(t *testing.T) {
	now := time.Unix(1000, 0)
	if d, ok := refreshRetry(now, now.Add(5*time.Second)); !ok || d != time.Second {
		t.Fatalf("5 s left: %s %v, want a retry in 1s", d, ok)
	}
	for _, left := range []time.Duration{time.Second, 500 * time.Millisecond, 0, -time.Second} {
		if _, ok := refreshRetry(now, now.Add(left)); ok {
			t.Fatalf("%s left: a retry at or past exp", left)
		}
	}
}
