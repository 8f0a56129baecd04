package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rtserver/rt/modules/hooks"
)

const (
	// hookTolerance is how far a signature's time may be from now. The
	// server and this process share one clock, so any drift is a bug; a
	// minute only absorbs the rounding to whole seconds and a loaded run.
	hookTolerance = time.Minute
	// hookBodyMax bounds what one request may send: a publish body is one
	// message (MAX_MESSAGE_BYTES) in JSON, far below this.
	hookBodyMax = 1 << 20
)

// hookAllow is the answer to every request: the message is published as
// sent, so what is measured is the hook's round trip and not a rewrite.
var hookAllow = []byte(`{"allow":true}`)

// hookBackend is the application's backend as rt's hooks see it (SPEC
// §11), run inside the load generator: on a free loopback port of this
// process, so on the generator's CPUs, and what it costs is not counted as
// the server's. It checks every request's signature as a real backend
// must, allows every message, and counts both. No request is logged: at
// tens of thousands of calls a second, logging would be the measurement.
type hookBackend struct {
	URL    string // where the server sends its hooks
	secret string // HOOK_SECRET: random for each backend, never reused
	srv    *http.Server
	served chan struct{} // closed when Serve has returned

	calls atomic.Int64 // every request, refused ones too
	bad   atomic.Int64 // refused: signature missing, wrong or stale, or body unreadable
}

// startHookBackend listens on a free loopback port with a new secret.
func startHookBackend() (*hookBackend, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return nil, err
	}
	b := &hookBackend{
		URL:    "http://" + ln.Addr().String() + "/hook",
		secret: hex.EncodeToString(key), // 64 characters: HOOK_SECRET wants at least 16
		served: make(chan struct{}),
	}
	// Keep-alive is net/http's default: rt's caller keeps its connections,
	// so a call is a request on a warm connection, as in production.
	b.srv = &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0), // a cut connection at the server's stop is not news
	}
	go func() {
		defer close(b.served)
		_ = b.srv.Serve(ln)
	}()
	return b, nil
}

// ServeHTTP answers one hook: 401 and counted as bad unless the body is
// signed with the secret, else 200 {"allow":true}.
func (b *hookBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.calls.Add(1)
	if err := b.check(r); err != nil {
		b.bad.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"bad signature"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(hookAllow)
}

// check reads the whole body (so the connection can serve the next
// request) and verifies its signature.
func (b *hookBackend) check(r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, hookBodyMax+1))
	switch {
	case err != nil:
		return err
	case len(body) > hookBodyMax:
		return errors.New("body too large")
	case r.Method != http.MethodPost:
		return errors.New("not a POST")
	}
	return hooks.Verify([]byte(b.secret), r.Header.Get(hooks.SignatureHeader), body, time.Now(), hookTolerance)
}

// counts is how many requests came, and how many of them were refused.
func (b *hookBackend) counts() (calls, bad int64) { return b.calls.Load(), b.bad.Load() }

// close stops listening, cuts every connection and waits for Serve to
// return. The server under test has stopped by then: nothing is in flight.
func (b *hookBackend) close() {
	_ = b.srv.Close()
	<-b.served
}
