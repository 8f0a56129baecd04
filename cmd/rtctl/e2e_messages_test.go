package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// runner runs rtctl against the API under test.
type runner func(args ...string) result

// okJSON runs rtctl, which must succeed, and reads its answer into into.
func (rtctl runner) okJSON(t *testing.T, into any, args ...string) {
	t.Helper()
	r := rtctl(args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("rtctl %q: exit %d, stderr %q", args, r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), into); err != nil {
		t.Fatalf("rtctl %q: %v: %q", args, err, r.stdout)
	}
}

// checkPublishData publishes data alone: both members, on both nodes, get
// it compacted, without a text.
func checkPublishData(t *testing.T, rtctl runner, members ...*rtClient) {
	t.Helper()
	var pub struct {
		ID string `json:"id"`
	}
	rtctl.okJSON(t, &pub, "publish", "lobby", "", "-data", `{"poll": {"id": 7, "options": ["a", "b"]}}`, "-user", "bot")
	for _, c := range members {
		d := c.await(t, "the published data", func(f frame) bool { return f.Type == "chat.delivery" && f.ID == pub.ID })
		if d.User != "bot" || d.Text != "" || string(d.Data) != `{"poll":{"id":7,"options":["a","b"]}}` {
			t.Errorf("%s got %+v, data %s", c.user, d, d.Data)
		}
	}
	if r := rtctl("publish", "lobby", "", "-data", `"`+strings.Repeat("x", 4095)+`"`); r.stderr != "rtctl: 400 message_too_long\n" {
		t.Errorf("publish of 4097 bytes of data: exit %d, stderr %q", r.code, r.stderr)
	}
}

// checkSend sends user messages: every socket of the user gets a
// user.message, on the node of the API and on the other, whatever room it
// is in.
func checkSend(t *testing.T, rtctl runner, to ...*rtClient) {
	t.Helper()
	for _, c := range to {
		var sent struct {
			User string `json:"user"`
			ID   string `json:"id"`
			TS   int64  `json:"ts"`
		}
		rtctl.okJSON(t, &sent, "send", c.user, "your export is ready", "-data", `{"file": "q3.csv"}`)
		if sent.User != c.user || len(sent.ID) != 28 || sent.TS == 0 {
			t.Errorf("send to %s answered %+v", c.user, sent)
		}
		m := c.await(t, "the user message", func(f frame) bool { return f.Type == "user.message" })
		if m.User != c.user || m.Text != "your export is ready" || string(m.Data) != `{"file":"q3.csv"}` ||
			m.ID != sent.ID || m.TS != sent.TS || m.Room != "" {
			t.Errorf("%s got %+v, data %s; want the message %+v", c.user, m, m.Data, sent)
		}
	}
	if r := rtctl("send", "nobody-here", "hi"); r.code != 0 {
		t.Errorf("send to a user with no socket: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := rtctl("send", "alice", "x", "-data", `"`+strings.Repeat("x", 4095)+`"`); r.stderr != "rtctl: 400 message_too_long\n" {
		t.Errorf("send of 4097 bytes: exit %d, stderr %q", r.code, r.stderr)
	}
}
