package config

import (
	"strings"
	"testing"
)

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		err      string // substring of the error; "" means success
	}{
		{in: "http://localhost:8000", want: "http://localhost:8000"},
		{in: "HTTP://LocalHost:8000", want: "http://localhost:8000"},
		{in: "https://App.Example.COM", want: "https://app.example.com"},
		{in: "http://example.com:80", want: "http://example.com"},
		{in: "https://example.com:443", want: "https://example.com"},
		{in: "http://example.com:443", want: "http://example.com:443"},
		{in: "https://example.com:80", want: "https://example.com:80"},
		{in: "http://example.com:080", want: "http://example.com"},
		{in: "http://example.com/", want: "http://example.com"},
		{in: "https://example.com:443/", want: "https://example.com"},
		{in: "http://127.0.0.1:3000", want: "http://127.0.0.1:3000"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: "http://[::1]", want: "http://[::1]"},
		{in: "http://[0:0:0:0:0:0:0:1]:80/", want: "http://[::1]"},
		{in: "https://[2001:DB8::A]:8443", want: "https://[2001:db8::a]:8443"},
		{in: "http://my_host-1.local", want: "http://my_host-1.local"},
		{in: "http://xn--bcher-kva.example", want: "http://xn--bcher-kva.example"},

		{in: "", err: "it is empty"},
		{in: "null", err: "opaque origin"},
		{in: "NULL", err: "want scheme://host[:port]"},
		{in: "example.com", err: "want scheme://host[:port]"},
		{in: "//example.com", err: "want scheme://host[:port]"},
		{in: "ftp://example.com", err: "scheme must be http or https"},
		{in: "ws://example.com", err: "scheme must be http or https"},
		{in: "file:///etc/passwd", err: "scheme must be http or https"},
		{in: "http:example.com", err: "want scheme://host[:port]"},
		{in: "http://", err: "it has no host"},
		{in: "http:///", err: "it has no host"},
		{in: "http://:8080", err: "it has no host"},
		{in: "http://example.com//", err: "it has a path"},
		{in: "http://example.com/app", err: "it has a path"},
		{in: "http://example.com/?", err: "it has a query"},
		{in: "http://example.com?a=1", err: "it has a query"},
		{in: "http://example.com#top", err: "it has a fragment"},
		{in: "http://user@example.com", err: "userinfo"},
		{in: "http://user:pw@example.com", err: "userinfo"},
		{in: "http://example.com:", err: "port must be"},
		{in: "http://example.com:0", err: "port must be"},
		{in: "http://example.com:65536", err: "port must be"},
		{in: "http://example.com:+80", err: "port must be"},
		{in: "http://example.com:8_0", err: "port must be"},
		{in: "http://example.com:80:80", err: "port must be"},
		{in: "http://::1", err: "it has no host"},
		{in: "http://[::1", err: "no closing ]"},
		{in: "http://[::1]x", err: "unexpected text after the host"},
		{in: "http://[127.0.0.1]", err: "not a valid IPv6"},
		{in: "http://[fe80::1%25eth0]", err: "not a valid IPv6"},
		{in: "http://[zz]", err: "not a valid IPv6"},
		{in: "http://exa mple.com", err: "ASCII DNS name"},
		{in: " http://example.com", err: "scheme must be"},
		{in: "http://example.com ", err: "ASCII DNS name"},
		{in: "http://example..com", err: "ASCII DNS name"},
		{in: "http://.example.com", err: "ASCII DNS name"},
		{in: "http://ex%41mple.com", err: "ASCII DNS name"},
		{in: "http://exa\\mple.com", err: "ASCII DNS name"},
		{in: "http://bücher.example", err: "ASCII DNS name"},
		{in: "http://例子.测试", err: "ASCII DNS name"},
		{in: "http://\u202eexample.com", err: "ASCII DNS name"},
		{in: "http://exa\x00mple.com", err: "ASCII DNS name"},
		{in: "http://\xff\xfe", err: "ASCII DNS name"},
	}
	for _, tt := range tests {
		got, err := NormalizeOrigin(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
		case tt.err != "" && got != "":
			t.Errorf("NormalizeOrigin(%q) returned %q with an error", tt.in, got)
		}
	}
}
