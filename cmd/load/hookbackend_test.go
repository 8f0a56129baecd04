package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/hooks"
	"go.uber.org/goleak"
)

// newBackend starts a backend for one test, stopped (and checked for
// leaked goroutines) at its end.
func newBackend(t *testing.T) *hookBackend {
	t.Helper()
	b, err := startHookBackend()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.close()
		goleak.VerifyNone(t)
	})
	return b
}

// TestHookBackendAllowsWhatRtSigns sends through the caller rt itself
// uses, with the secret the server would get in HOOK_SECRET.
func TestHookBackendAllowsWhatRtSigns(t *testing.T) {
	b := newBackend(t)
	c := hooks.NewCaller(b.secret, 10*time.Second, 4, nil)
	defer c.Close()
	for range 3 {
		answer, err := c.Call(context.Background(), "publish", b.URL, []byte(`{"room":"r","user":"u","text":"hi"}`))
		if err != nil {
			t.Fatalf("Call: %v", err)
		}
		var a struct {
			Allow *bool `json:"allow"`
		}
		if err := json.Unmarshal(answer, &a); err != nil || a.Allow == nil || !*a.Allow {
			t.Fatalf("answer %s (%v), want allow true", answer, err)
		}
	}
	if calls, bad := b.counts(); calls != 3 || bad != 0 {
		t.Errorf("counts = %d calls, %d bad; want 3, 0", calls, bad)
	}
}

// TestHookBackendRefusesBadSignatures: each request is refused with 401
// and counted as a failure, which fails the scenario.
func TestHookBackendRefusesBadSignatures(t *testing.T) {
	b := newBackend(t)
	c := newClient(t)
	body := []byte(`{"room":"r","user":"u","text":"hi"}`)
	now := time.Now().Unix()
	tests := []struct {
		name   string
		method string
		header string
	}{
		{"another secret", http.MethodPost, hooks.Sign([]byte("not-the-backend-secret"), now, body)},
		{"another body", http.MethodPost, hooks.Sign([]byte(b.secret), now, []byte(`{"text":"other"}`))},
		{"stale", http.MethodPost, hooks.Sign([]byte(b.secret), now-int64(2*hookTolerance/time.Second), body)},
		{"no header", http.MethodPost, ""},
		{"garbage", http.MethodPost, "t=x,v1=zz"},
		{"signed but not a POST", http.MethodPut, hooks.Sign([]byte(b.secret), now, body)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, answer := send(t, c, b.URL, tt.method, tt.header, body, nil)
			if status != http.StatusUnauthorized || strings.Contains(answer, "allow") {
				t.Errorf("status %d, answer %q; want 401 without allow", status, answer)
			}
			if calls, bad := b.counts(); calls != int64(i+1) || bad != int64(i+1) {
				t.Errorf("counts = %d calls, %d bad; want %d, %d", calls, bad, i+1, i+1)
			}
		})
	}
	status, _ := send(t, c, b.URL, http.MethodPost, hooks.Sign([]byte(b.secret), now, body), body, nil)
	if calls, bad := b.counts(); status != http.StatusOK || calls != int64(len(tests)+1) || bad != int64(len(tests)) {
		t.Errorf("a good request after the bad ones: status %d, counts %d calls, %d bad", status, calls, bad)
	}
}

// TestHookBackendKeepsConnections: the second request rides the first
// one's connection, as rt's calls do.
func TestHookBackendKeepsConnections(t *testing.T) {
	b := newBackend(t)
	c := newClient(t)
	body := []byte(`{}`)
	var reused []bool
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) }}
	for range 2 {
		if status, _ := send(t, c, b.URL, http.MethodPost, hooks.Sign([]byte(b.secret), time.Now().Unix(), body), body, trace); status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
	}
	if len(reused) != 2 || reused[0] || !reused[1] {
		t.Errorf("connections reused: %v, want [false true]", reused)
	}
}

// newClient is a keep-alive client whose connections are closed before
// the backend's leak check (cleanups run last first).
func newClient(t *testing.T) *http.Client {
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// send makes one request and returns the status and the answer.
func send(t *testing.T, c *http.Client, url, method, signature string, body []byte, trace *httptrace.ClientTrace) (int, string) {
	t.Helper()
	ctx := context.Background()
	if trace != nil {
		ctx = httptrace.WithClientTrace(ctx, trace)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if signature != "" {
		req.Header.Set(hooks.SignatureHeader, signature)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return resp.StatusCode, string(answer)
}
