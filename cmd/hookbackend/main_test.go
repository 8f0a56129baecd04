package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/hooks"
)

const secret = "0123456789abcdef0123456789abcdef"

// post sends body to path signed as rt signs it, at time at.
func post(t *testing.T, h http.Handler, path, body string, at time.Time, key string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set(hooks.SignatureHeader, hooks.Sign([]byte(key), at.Unix(), []byte(body)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// The example agrees with rt's signing, and answers as docs/hooks.md says.
func TestExampleBackend(t *testing.T) {
	var out bytes.Buffer
	h := newBackend(secret, &out).routes()
	now := time.Now()
	for _, tt := range []struct {
		path, body string
		at         time.Time
		key        string
		status     int
		answer     string
	}{
		{"/rt/connect", `{"user":"alice","room":null,"claims":{"sub":"alice"},"remote":"127.0.0.1"}`, now, secret, 200, `{"allow":true}`},
		{"/rt/connect", `{"user":"mallory","room":"lobby","claims":{"sub":"mallory"},"remote":"127.0.0.1"}`, now, secret, 200, `{"allow":false,"reason":"banned"}`},
		{"/rt/connect", `{"user":"alice","room":null}`, now, "another-secret-0123456789", 401, ""},
		{"/rt/connect", `{"user":"alice","room":null}`, now.Add(-10 * time.Minute), secret, 401, ""},
		{"/rt/publish", `{"room":"lobby","user":"alice","text":"hi"}`, now, secret, 200, `{"allow":true}`},
		{"/rt/publish", `{"room":"lobby","user":"alice","text":"buy SPAM"}`, now, secret, 200, `{"allow":false,"reason":"no spam here"}`},
		{"/rt/publish", `{"room":"lobby","user":"alice","text":"!shout hi"}`, now, secret, 200, `{"allow":true,"text":"HI"}`},
		{"/rt/publish", `not json`, now, secret, 400, ""},
	} {
		rec := post(t, h, tt.path, tt.body, tt.at, tt.key)
		if rec.Code != tt.status || (tt.answer != "" && strings.TrimSpace(rec.Body.String()) != tt.answer) {
			t.Errorf("%s %s: %d %s, want %d %s", tt.path, tt.body, rec.Code, rec.Body, tt.status, tt.answer)
		}
	}
	// A batch delivered twice (its answer lost) is printed once.
	batch := `{"events":[{"id":"E1","type":"room.occupied","room":"lobby","ts":1},` +
		`{"id":"E2","type":"message.published","room":"lobby","user":"alice","ts":2,"message":{"id":"M1","text":"hi"}}]}`
	for range 2 {
		if rec := post(t, h, "/rt/events", batch, now, secret); rec.Code != http.StatusNoContent {
			t.Fatalf("events: %d", rec.Code)
		}
	}
	want := "room.occupied room=lobby\nmessage.published room=lobby user=alice text=\"hi\"\n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}
