package hooks

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret, body := []byte(testSecret), []byte(`{"room":"r"}`)
	now := time.Unix(1_700_000_000, 0)
	good := Sign(secret, now.Unix(), body)
	mac := good[strings.Index(good, "v1=")+3:]
	tests := []struct {
		name   string
		header string
		body   []byte
		want   error
	}{
		{"good", good, body, nil},
		{"spaces after commas", strings.ReplaceAll(good, ",", ", "), body, nil},
		{"fields the other way round", "v1=" + mac + ",t=" + strconv.FormatInt(now.Unix(), 10), body, nil},
		{"another body", good, []byte(`{"room":"s"}`), ErrBadSignature},
		{"another secret", Sign([]byte("another-secret-0123456789"), now.Unix(), body), body, ErrBadSignature},
		{"another time in the header", strings.Replace(good, "t=1700000000", "t=1700000001", 1), body, ErrBadSignature},
		{"old", Sign(secret, now.Add(-10*time.Minute).Unix(), body), body, ErrStale},
		{"from the future", Sign(secret, now.Add(10*time.Minute).Unix(), body), body, ErrStale},
		{"empty", "", body, ErrNoSignature},
		{"no time", "v1=" + mac, body, ErrNoSignature},
		{"no mac", "t=1700000000", body, ErrNoSignature},
		{"short mac", "t=1700000000,v1=abcd", body, ErrNoSignature},
		{"mac not hex", "t=1700000000,v1=" + strings.Repeat("zz", 32), body, ErrNoSignature},
		{"time not a number", "t=soon,v1=" + mac, body, ErrNoSignature},
	}
	for _, tt := range tests {
		if err := Verify(secret, tt.header, tt.body, now, 5*time.Minute); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}
