package hooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/logging/logtest"
	"github.com/rtserver/rt/modules/metrics/metricstest"
)

// gateFor is the connect hook asking b, failing open or not, with its
// metrics and its log.
func gateFor(t *testing.T, b *backend, failOpen bool) (Gate, *Stats, *logtest.Buffer) {
	t.Helper()
	stats, logs := NewStats(), &logtest.Buffer{}
	c := NewCaller(testSecret, shortTimeout, 4, stats)
	t.Cleanup(c.Close)
	return NewGate(c, b.URL+"/connect", failOpen, stats, slog.New(slog.NewTextHandler(logs, nil))), stats, logs
}

// calls is rt_hook_calls_total of hook with outcome.
func calls(t *testing.T, s *Stats, hook, outcome string) float64 {
	t.Helper()
	return metricstest.Gather(t, s.Collectors()...).Value("rt_hook_calls_total", "hook", hook, "outcome", outcome)
}

func TestConnectBody(t *testing.T) {
	b := newBackend(t, replying(200, `{"allow":true}`))
	g, _, _ := gateFor(t, b, false)
	claims := []byte(`{"sub":"alice","plan":"pro","rooms":["a*"]}`)
	for _, c := range []Connect{
		{User: "alice", Room: "lobby", Claims: claims, Remote: "203.0.113.7"},
		{User: "alice", Claims: claims, Remote: "2001:db8::1"},
		{User: "bob", Room: "r"},
	} {
		if err := g.Admit(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`{"user":"alice","room":"lobby","claims":{"sub":"alice","plan":"pro","rooms":["a*"]},"remote":"203.0.113.7"}`,
		`{"user":"alice","room":null,"claims":{"sub":"alice","plan":"pro","rooms":["a*"]},"remote":"2001:db8::1"}`,
		`{"user":"bob","room":"r","claims":{},"remote":""}`,
	}
	for i, got := range b.received() {
		if string(got) != want[i] {
			t.Errorf("body %d: %s\nwant %s", i, got, want[i])
		}
	}
}

func TestConnectAnswers(t *testing.T) {
	tests := []struct {
		name    string
		serve   http.HandlerFunc
		denied  string // the reason of a denial
		failed  bool   // ErrUnavailable when failing closed
		outcome string
	}{
		{name: "allowed", serve: replying(200, `{"allow":true}`), outcome: "allowed"},
		{name: "allowed, 201 with a reason", serve: replying(201, `{"allow":true,"reason":"welcome"}`), outcome: "allowed"},
		{name: "denied", serve: replying(200, `{"allow":false,"reason":"banned until Monday"}`), denied: "banned until Monday", outcome: "denied"},
		{name: "denied without a reason", serve: replying(200, `{"allow":false}`), denied: "", outcome: "denied"},
		{name: "denied with a hostile reason", serve: replying(200, `{"allow":false,"reason":"a\nb\u001b[2J`+strings.Repeat("x", 300)+`"}`),
			denied: "a b [2J" + strings.Repeat("x", 193), outcome: "denied"},
		{name: "garbage", serve: replying(200, `<html>ok</html>`), failed: true, outcome: "bad_answer"},
		{name: "allow as a string", serve: replying(200, `{"allow":"false"}`), failed: true, outcome: "bad_answer"},
		{name: "empty answer", serve: replying(200, ``), failed: true, outcome: "bad_answer"},
		{name: "5xx", serve: replying(502, `{"allow":true}`), failed: true, outcome: "status"},
		{name: "redirect", serve: redirectTo("http://127.0.0.1:1/", 302), failed: true, outcome: "status"},
		{name: "never answering", serve: silent, failed: true, outcome: "timeout"},
		{name: "10 MB", serve: huge(10 << 20), failed: true, outcome: "bad_answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, open := range []bool{false, true} {
				b := newBackend(t, tt.serve)
				g, stats, logs := gateFor(t, b, open)
				err := g.Admit(context.Background(), Connect{User: "alice", Room: "lobby"})
				outcome := tt.outcome
				var refusal *Refusal
				switch {
				case tt.denied != "" || tt.outcome == "denied":
					if !errors.As(err, &refusal) || refusal.Code != CodeDenied || refusal.Reason != tt.denied {
						t.Fatalf("open=%v: got %v, want denied %q", open, err, tt.denied)
					}
				case tt.failed && !open:
					if !errors.Is(err, ErrUnavailable) || errors.As(err, &refusal) {
						t.Fatalf("got %v, want ErrUnavailable", err)
					}
				case tt.failed && open:
					outcome = "failed_open"
					fallthrough
				default:
					if err != nil {
						t.Fatalf("open=%v: got %v, want allowed", open, err)
					}
				}
				if n := calls(t, stats, "connect", outcome); n != 1 {
					t.Errorf("open=%v: rt_hook_calls_total{connect,%s} = %v, want 1", open, outcome, n)
				}
				if warned := strings.Contains(logs.String(), "level=WARN"); warned != tt.failed {
					t.Errorf("open=%v: warned %v, want %v: %s", open, warned, tt.failed, logs)
				}
			}
		})
	}
}

// A backend that fails every call is logged once per 10 s, not per call.
func TestFailuresAreLoggedAtMostEveryTenSeconds(t *testing.T) {
	b := newBackend(t, replying(500, ``))
	g, stats, logs := gateFor(t, b, true)
	for range 20 {
		if err := g.Admit(context.Background(), Connect{User: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "HOOK_FAIL_OPEN=true") || calls(t, stats, "connect", "failed_open") != 20 {
		t.Errorf("log %s, failed_open %v", logs, calls(t, stats, "connect", "failed_open"))
	}
}

// A caller that gives up is not the backend's fault: no warning.
func TestGivingUpIsNotWarned(t *testing.T) {
	b := newBackend(t, silent)
	g, _, logs := gateFor(t, b, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Admit(ctx, Connect{User: "u"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
	if logs.String() != "" {
		t.Errorf("logged %s", logs)
	}
}
