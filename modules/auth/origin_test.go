package auth

import (
	"testing"

	"github.com/rtserver/rt/config"
)

func TestOriginsAllowed(t *testing.T) {
	// NewOrigins takes ALLOWED_ORIGINS as config has normalised them.
	o := NewOrigins(config.Config{AllowedOrigins: []string{
		"https://app.example.com", "http://localhost:8000", "http://[::1]:8080",
	}})
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://app.example.com", true},
		{"http://localhost:8000", true},
		{"HTTPS://APP.Example.COM", true},
		{"https://app.example.com:443", true},
		{"https://app.example.com/", true},
		{"https://app.example.com:443/", true},
		{"http://LOCALHOST:8000", true},
		{"http://[::1]:8080", true},
		{"http://[0:0:0:0:0:0:0:1]:8080", true},

		{"http://app.example.com", false},       // other scheme
		{"https://app.example.com:8443", false}, // other port
		{"https://app.example.com:80", false},
		{"http://localhost", false},
		{"http://localhost:80", false},
		{"http://127.0.0.1:8000", false},
		{"http://[::1]", false},
		{"https://example.com", false},             // parent domain
		{"https://evil.app.example.com", false},    // subdomain
		{"https://evilapp.example.com", false},     // suffix trick
		{"https://app.example.com.evil.io", false}, // prefix trick
		{"https://app.example.comx", false},
		{"https://app.example.co", false},
		{"https://app.example.com.", false},
		{"https://app.example.com//", false},
		{"https://app.example.com/path", false},
		{"https://app.example.com/?q=1", false},
		{"https://app.example.com#x", false},
		{"https://user@app.example.com", false},
		{"https://app.example.com@evil.io", false},
		{" https://app.example.com", false},
		{"https://app.example.com ", false},
		{"app.example.com", false},
		{"//app.example.com", false},
		{"ws://app.example.com", false},
		{"null", false},
		{"NULL", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := o.Allowed(tt.origin); got != tt.want {
			t.Errorf("Allowed(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
}

func TestOriginsNoneAllowed(t *testing.T) {
	o := NewOrigins(config.Config{})
	for _, origin := range []string{"http://localhost:8000", "null", ""} {
		if o.Allowed(origin) {
			t.Errorf("Allowed(%q) with no allowed origins = true", origin)
		}
	}
}

// An allowed origin that is not in normal form is still compared after
// normalisation, never as written.
func TestOriginsNotNormalised(t *testing.T) {
	o := NewOrigins(config.Config{AllowedOrigins: []string{"HTTPS://App.example.com", "https://ok.example.com"}})
	for origin, want := range map[string]bool{
		"HTTPS://App.example.com": false, // normalises to https://app.example.com, not allowed as such
		"https://app.example.com": false,
		"https://ok.example.com":  true,
		"HTTPS://OK.example.com":  true,
	} {
		if got := o.Allowed(origin); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", origin, got, want)
		}
	}
}
