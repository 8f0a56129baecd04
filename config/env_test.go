package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/fx"
)

func TestWarnings(t *testing.T) {
	tests := []struct {
		secret, alg string
		want        string // substring of the only warning, or "" for none
	}{
		{DefaultJWTSecret, "HS256", "JWT_SECRET is the default development secret; set your own before exposing rt"},
		{"tiny-key", "HS256", "shorter than 32 bytes"},
		{strings.Repeat("k", 32), "HS256", ""},
		{strings.Repeat("k", 32), "HS512", "shorter than 64 bytes"},
		{strings.Repeat("k", 64), "HS512", ""},
	}
	for _, tt := range tests {
		w := Config{JWTSecret: tt.secret, JWTAlg: tt.alg}.Warnings()
		switch {
		case tt.want == "" && len(w) != 0:
			t.Errorf("%s/%d bytes: unexpected warnings %q", tt.alg, len(tt.secret), w)
		case tt.want != "" && (len(w) != 1 || !strings.Contains(w[0], tt.want)):
			t.Errorf("%s/%d bytes: warnings %q, want one containing %q", tt.alg, len(tt.secret), w, tt.want)
		}
		for _, line := range w {
			if tt.secret != DefaultJWTSecret && strings.Contains(line, tt.secret) {
				t.Errorf("warning shows the secret: %q", line)
			}
		}
	}
}

// A warning names an API_ADDR that is not on loopback, and never the key.
func TestAPIWarnings(t *testing.T) {
	const key = "0123456789abcdef-key"
	for _, tt := range []struct {
		addr string
		warn bool
	}{
		{"", false},
		{"127.0.0.1:8001", false},
		{"127.8.9.10:8001", false},
		{"[::1]:8001", false},
		{"[::ffff:127.0.0.1]:8001", false},
		{"localhost:8001", false},
		{"LocalHost:8001", false},
		{"0.0.0.0:8001", true},
		{":8001", true},
		{"[::]:8001", true},
		{"10.0.0.5:8001", true},
		{"api.internal:8001", true},
	} {
		c := Config{JWTSecret: strings.Repeat("k", 32), JWTAlg: "HS256", APIAddr: tt.addr, APIKey: key}
		w := c.Warnings()
		switch {
		case !tt.warn && len(w) != 0:
			t.Errorf("API_ADDR=%q: unexpected warnings %q", tt.addr, w)
		case tt.warn && (len(w) != 1 || !strings.Contains(w[0], "API_ADDR="+tt.addr+" is not a loopback address") || !strings.Contains(w[0], "TLS")):
			t.Errorf("API_ADDR=%q: warnings %q, want one about loopback and TLS", tt.addr, w)
		}
		for _, line := range w {
			if strings.Contains(line, key) {
				t.Errorf("warning shows the key: %q", line)
			}
		}
	}
	// With an asymmetric algorithm the JWT_SECRET checks are skipped, not the API's.
	if w := (Config{JWTAlg: "EdDSA", APIAddr: "0.0.0.0:8001"}).Warnings(); len(w) != 1 {
		t.Errorf("EdDSA, API on every interface: %q", w)
	}
}

// isolate sets every variable to empty (= default) so the test does not
// depend on the environment it runs in, then applies set.
func isolate(t *testing.T, set map[string]string) {
	for _, v := range variables {
		t.Setenv(v.name, "")
	}
	t.Setenv("JWT_SECRET", DefaultJWTSecret) // empty would be an error
	for k, v := range set {
		t.Setenv(k, v)
	}
}

func TestFromOS(t *testing.T) {
	isolate(t, map[string]string{"PORT": "9000", "ALLOWED_ORIGINS": "https://a.example"})
	c, err := FromOS()
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9000 || len(c.AllowedOrigins) != 1 || c.AllowedOrigins[0] != "https://a.example" {
		t.Errorf("FromOS = %+v", c)
	}
}

// The module logs the warnings of the Config the app supplies.
func TestModule(t *testing.T) {
	isolate(t, nil)
	c, err := FromOS()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if err := fx.New(Module, fx.NopLogger, fx.Supply(c, log)).Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "default development secret") {
		t.Errorf("log %q", buf.String())
	}
}
