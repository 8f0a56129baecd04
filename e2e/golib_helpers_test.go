package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	rtc "github.com/rtserver/rt/client"
)

// The helpers of the tests of the Go client library (package client):
// real rt apps (the harness above), real sockets, the library as an app
// would use it, and a recorder of every event its handlers got.

// libWait bounds every wait on a condition; a hang guard, never a
// timing assertion.
const libWait = 20 * time.Second

// signed is a token for sub with extra claims, for GetToken (it runs on
// the library's goroutines, where t.Fatal must not be called).
func signed(sub string, extra ...jwt.MapClaims) (string, error) {
	claims := jwt.MapClaims{"sub": sub, "iat": time.Now().Unix()}
	for _, e := range extra {
		for k, v := range e {
			claims[k] = v
		}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
}

// staticToken is a GetToken that always signs a fresh token for sub.
func staticToken(sub string, extra ...jwt.MapClaims) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return signed(sub, extra...) }
}

// recorder keeps every event a client's handlers got.
type recorder struct {
	mu        sync.Mutex
	states    []rtc.State
	messages  map[string][]rtc.Message // by room
	presence  map[string][]string      // by room, the last list
	presences map[string]int           // by room, how many presence events
	changes   []rtc.Presence           // every presence event, in order
	recovered []rtc.Recovered
	joined    []string
	left      []string // "room reason"
	signals   []rtc.Signal
	personal  []rtc.UserMessage
	errs      []error
}

func newRecorder() *recorder {
	return &recorder{messages: map[string][]rtc.Message{}, presence: map[string][]string{}, presences: map[string]int{}}
}

func (r *recorder) handlers() rtc.Handlers {
	lock := func(f func()) { r.mu.Lock(); defer r.mu.Unlock(); f() }
	return rtc.Handlers{
		OnState:   func(s rtc.State) { lock(func() { r.states = append(r.states, s) }) },
		OnMessage: func(m rtc.Message) { lock(func() { r.messages[m.Room] = append(r.messages[m.Room], m) }) },
		OnPresence: func(p rtc.Presence) {
			lock(func() { r.presence[p.Room] = p.Users; r.presences[p.Room]++; r.changes = append(r.changes, p) })
		},
		OnRecovered:   func(x rtc.Recovered) { lock(func() { r.recovered = append(r.recovered, x) }) },
		OnJoined:      func(room string) { lock(func() { r.joined = append(r.joined, room) }) },
		OnLeft:        func(room, why string) { lock(func() { r.left = append(r.left, room+" "+why) }) },
		OnSignal:      func(s rtc.Signal) { lock(func() { r.signals = append(r.signals, s) }) },
		OnUserMessage: func(m rtc.UserMessage) { lock(func() { r.personal = append(r.personal, m) }) },
		OnError:       func(err error) { lock(func() { r.errs = append(r.errs, err) }) },
	}
}

// ids is the ids of room's messages, in the order they came.
func (r *recorder) ids(room string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.messages[room]))
	for _, m := range r.messages[room] {
		out = append(out, m.ID)
	}
	return out
}

// change is the first presence event of room that satisfies ok.
func (r *recorder) change(room string, ok func(rtc.Presence) bool) (rtc.Presence, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.changes {
		if p.Room == room && ok(p) {
			return p, true
		}
	}
	return rtc.Presence{}, false
}

func (r *recorder) users(room string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.presence[room])
}

func (r *recorder) lastState() rtc.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.states) == 0 {
		return rtc.State{}
	}
	return r.states[len(r.states)-1]
}

// sawState reports whether any state event matched f.
func (r *recorder) sawState(f func(rtc.State) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.states, f)
}

// lib is a library client and its recorder.
type lib struct {
	*rtc.Client
	rec *recorder
}

// newLib makes a client for the node at addr; tweak adjusts the config.
// It is closed when the test ends (Close is idempotent).
func newLib(t *testing.T, addr string, getToken func(context.Context) (string, error), tweak ...func(*rtc.Config)) *lib {
	t.Helper()
	rec := newRecorder()
	cfg := rtc.Config{
		URL:      "ws://" + addr,
		Origin:   origin,
		GetToken: getToken,
		MinDelay: 20 * time.Millisecond,
		MaxDelay: 200 * time.Millisecond,
		Handlers: rec.handlers(),
	}
	for _, f := range tweak {
		f(&cfg)
	}
	c, err := rtc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &lib{Client: c, rec: rec}
}

// connected is newLib, connected.
func connected(t *testing.T, addr, sub string, tweak ...func(*rtc.Config)) *lib {
	t.Helper()
	l := newLib(t, addr, staticToken(sub), tweak...)
	ctx, cancel := context.WithTimeout(context.Background(), libWait)
	defer cancel()
	if err := l.Connect(ctx); err != nil {
		t.Fatalf("connect %s: %v", sub, err)
	}
	return l
}

// join joins room and fails the test on a refusal.
func (l *lib) join(t *testing.T, room string) *rtc.Room {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), libWait)
	defer cancel()
	r := l.Room(room)
	if err := r.Join(ctx); err != nil {
		t.Fatalf("join %s: %v", room, err)
	}
	return r
}

// publish publishes text into r and returns the ack.
func publish(t *testing.T, r *rtc.Room, text string, data json.RawMessage) rtc.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), libWait)
	defer cancel()
	ack, err := r.Publish(ctx, text, data)
	if err != nil {
		t.Fatalf("publish %q into %s: %v", text, r.Name(), err)
	}
	return ack
}

// eventually waits, bounded, until cond holds; what names it on failure.
func libEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(libWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", libWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ctxWait is a context bounded by libWait for one call.
func ctxWait(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), libWait)
	t.Cleanup(cancel)
	return ctx
}

func describe(ids []string) string {
	if len(ids) > 6 {
		return fmt.Sprintf("%v … %v (%d)", ids[:3], ids[len(ids)-3:], len(ids))
	}
	return fmt.Sprint(ids)
}
