package hooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
)

func moderatorFor(t *testing.T, b *backend, failOpen bool) (Moderator, *Stats) {
	t.Helper()
	stats := NewStats()
	c := NewCaller(testSecret, shortTimeout, 4, stats)
	t.Cleanup(c.Close)
	return NewModerator(c, b.URL+"/publish", failOpen, stats, slog.New(slog.DiscardHandler)), stats
}

func TestPublishBody(t *testing.T) {
	b := newBackend(t, replying(200, `{"allow":true}`))
	m, _ := moderatorFor(t, b, false)
	for _, p := range []Publish{
		{Room: "lobby", User: "alice", Text: "hi"},
		{Room: "lobby", User: "alice", Data: []byte(`{"x":[1,2]}`)},
		{Room: "lobby", User: "alice", Text: "both", Data: []byte(`[]`)},
		{Room: "lobby", User: "bot", Text: "\"quoted\" <b>", Data: []byte(`{}`)},
	} {
		if got, err := m.Moderate(context.Background(), p); err != nil || got.Text != p.Text || string(got.Data) != string(p.Data) {
			t.Fatalf("got %+v, %v; want the message unchanged", got, err)
		}
	}
	want := []string{
		`{"room":"lobby","user":"alice","text":"hi"}`,
		`{"room":"lobby","user":"alice","data":{"x":[1,2]}}`,
		`{"room":"lobby","user":"alice","text":"both","data":[]}`,
		`{"room":"lobby","user":"bot","text":"\"quoted\" <b>","data":{}}`,
	}
	for i, got := range b.received() {
		if string(got) != want[i] {
			t.Errorf("body %d: %s\nwant %s", i, got, want[i])
		}
	}
}

func TestPublishAnswers(t *testing.T) {
	original := Publish{Room: "lobby", User: "alice", Text: "hello darn world", Data: []byte(`{"n":1}`)}
	tests := []struct {
		name     string
		serve    http.HandlerFunc
		text     string
		data     string
		rejected string // the reason of a rejection
		failed   bool
		outcome  string
	}{
		{name: "allowed", serve: replying(200, `{"allow":true}`), text: original.Text, data: `{"n":1}`, outcome: "allowed"},
		{name: "text rewritten", serve: replying(200, `{"allow":true,"text":"hello **** world"}`),
			text: "hello **** world", data: `{"n":1}`, outcome: "rewritten"},
		{name: "data rewritten", serve: replying(200, `{"allow":true,"data":{ "n" : 2, "checked" : true }}`),
			text: original.Text, data: `{"n":2,"checked":true}`, outcome: "rewritten"},
		{name: "text cleared", serve: replying(200, `{"allow":true,"text":""}`), text: "", data: `{"n":1}`, outcome: "rewritten"},
		{name: "data cleared", serve: replying(200, `{"allow":true,"data":null}`), text: original.Text, outcome: "rewritten"},
		{name: "both cleared", serve: replying(200, `{"allow":true,"text":"","data":null}`), outcome: "rewritten"},
		{name: "rejected", serve: replying(200, `{"allow":false,"code":"rejected","reason":"no swearing"}`),
			rejected: "no swearing", outcome: "rejected"},
		{name: "rejected with another code", serve: replying(200, `{"allow":false,"code":"spam"}`), outcome: "rejected"},
		{name: "data twice", serve: replying(200, `{"allow":true,"data":1,"data":2}`), failed: true, outcome: "bad_answer"},
		{name: "text not a string", serve: replying(200, `{"allow":true,"text":["x"]}`), failed: true, outcome: "bad_answer"},
		{name: "5xx", serve: replying(500, ``), failed: true, outcome: "status"},
		{name: "never answering", serve: silent, failed: true, outcome: "timeout"},
		{name: "a slow drip", serve: drip, failed: true, outcome: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, open := range []bool{false, true} {
				b := newBackend(t, tt.serve)
				m, stats := moderatorFor(t, b, open)
				got, err := m.Moderate(context.Background(), original)
				outcome, text, data := tt.outcome, tt.text, tt.data
				if tt.failed && open { // let through as it was
					outcome, text, data = "failed_open", original.Text, string(original.Data)
				}
				var refusal *Refusal
				switch {
				case tt.outcome == "rejected":
					if !errors.As(err, &refusal) || refusal.Code != CodeRejected || refusal.Reason != tt.rejected {
						t.Fatalf("open=%v: got %v, want rejected %q", open, err, tt.rejected)
					}
				case tt.failed && !open:
					if !errors.Is(err, ErrUnavailable) {
						t.Fatalf("got %v, want ErrUnavailable", err)
					}
				case err != nil || got.Text != text || string(got.Data) != data || got.Room != original.Room || got.User != original.User:
					t.Fatalf("open=%v: got %+v (data %s), %v; want text %q data %s", open, got, got.Data, err, text, data)
				}
				if n := calls(t, stats, "publish", outcome); n != 1 {
					t.Errorf("open=%v: rt_hook_calls_total{publish,%s} = %v, want 1", open, outcome, n)
				}
			}
		})
	}
}
