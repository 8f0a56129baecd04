package config

import (
	"strings"
	"testing"
)

func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{
		"http://localhost:8000", "HTTPS://Example.COM:443/", "http://[::1]:8080", "http://[::FFFF:1.2.3.4]",
		"null", "", "ftp://x", "http://a/b", "http://u@h", "http://h?q", "http://h#f", "http://h:0",
		"http://bücher.example", "http://[fe80::1%25en0]", "http://h:99999", "http://h:080",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeOrigin(s)
		if err != nil {
			if got != "" {
				t.Fatalf("NormalizeOrigin(%q) = %q with error %v", s, got, err)
			}
			return
		}
		// Accepted results must be stable: the handshake normalises the
		// Origin header and compares strings, so a second pass may not change
		// them, and they must still look like an origin.
		again, err := NormalizeOrigin(got)
		if err != nil || again != got {
			t.Fatalf("not a fixed point: %q -> %q -> %q, %v", s, got, again, err)
		}
		if !strings.HasPrefix(got, "http://") && !strings.HasPrefix(got, "https://") {
			t.Fatalf("NormalizeOrigin(%q) = %q: unexpected scheme", s, got)
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add("8000", "25", "70", "http://localhost:8000", "", "hunter2")
	f.Add("abc", "-1", "1e3", "null,,ftp://x", "redis://u:pw@h:bad", "")
	f.Add("65536", "30s", "20s", " , ", "redis://", " ")
	f.Add("1", "0.000000001", "9999999999999999999", "http://[::1]:8080/", "rediss://:pw@h/9", "k")
	f.Fuzz(func(t *testing.T, port, heartbeat, idle, origins, redis, secret string) {
		load := func(secret string) (Config, error) {
			return Load(map[string]string{
				"PORT": port, "HEARTBEAT_INTERVAL": heartbeat, "IDLE_TIMEOUT": idle,
				"ALLOWED_ORIGINS": origins, "REDIS_URL": redis, "JWT_SECRET": secret,
			})
		}
		c, err := load(secret)
		// The secret must not influence the message beyond being blank or
		// not; comparing with a stand-in avoids false alarms when the secret
		// happens to equal another value that is rightly shown.
		standIn := "stand-in"
		if strings.TrimSpace(secret) == "" {
			standIn = ""
		}
		if _, err2 := load(standIn); (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("error depends on JWT_SECRET:\n%v\n---\n%v", err, err2)
		}
		if err != nil {
			return
		}
		if c.HeartbeatInterval >= c.IdleTimeout || c.Port < 1 || c.Port > 65535 || len(c.AllowedOrigins) == 0 {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
	})
}
