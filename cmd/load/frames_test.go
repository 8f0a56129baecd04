package main

import (
	"bytes"
	"slices"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		frame string
		want  kind
	}{
		{`{"type":"chat.delivery","room":"r","user":"u","text":"1:2","id":"x","ts":1}`, kindDelivery},
		{`{"type":"presence.join","room":"r","user":"u","ts":1}`, kindJoin},
		{`{"type":"presence.leave","room":"r","user":"u","ts":1}`, kindLeave},
		{`{"type":"presence.diff","room":"r","joins":["a"],"leaves":[],"ts":1}`, kindDiff},
		{`{"type":"presence.state","room":"r","users":["a","b"]}`, kindState},
		{`{"type":"system.ping","ts":1}`, kindPing},
		{`{"type":"system.pong","ts":1}`, kindOther},
		{`{"type":"system.error","code":"rate_limited","message":"m"}`, kindError},
		{`{"room":"r","type":"presence.join","user":"u"}`, kindJoin}, // not first: decoded
		{` {"type":"chat.delivery"}`, kindDelivery},                  // not the exact prefix: decoded
		{`{"type":"presence.\u006aoin","user":"u"}`, kindJoin},       // escaped: decoded
		{`{"type":"chat.delivery"`, kindDelivery},                    // cut short, but the type is whole
		{`{"type":"chat`, kindOther},                                 // cut inside the type
		{`not json`, kindOther},
		{``, kindOther},
		{`{"type":1}`, kindOther},
	}
	for _, tt := range tests {
		if got := kindOf([]byte(tt.frame)); got != tt.want {
			t.Errorf("kindOf(%s) = %d, want %d", tt.frame, got, tt.want)
		}
	}
}

func TestStringField(t *testing.T) {
	tests := []struct {
		frame, key string
		want       string
		ok         bool
	}{
		{`{"type":"presence.join","room":"r","user":"u12","ts":1}`, "user", "u12", true},
		{`{"type":"presence.join","room":"r","user":"","ts":1}`, "user", "", true},
		{`{"type":"presence.join","room":"r","ts":1}`, "user", "", false},
		{`{"type":"presence.join","user":"a\"b"}`, "user", "", false},                          // an escape: the caller decodes
		{`{"type":"chat.delivery","text":"\"user\":\"x","user":"real"}`, "user", "real", true}, // not inside a value
		{`{"type":"chat.delivery","text":"\"user\":\"x"}`, "user", "", false},
		{`{"type":"x","user":"unterminated`, "user", "", false},
		{`{"type":"x","user":7}`, "user", "", false},
	}
	for _, tt := range tests {
		got, ok := stringField([]byte(tt.frame), tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("stringField(%s, %q) = %q, %v; want %q, %v", tt.frame, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMsgTextRoundTrip(t *testing.T) {
	for _, c := range []struct {
		seq int
		ns  int64
	}{{0, 0}, {1, 1795653871903000000}, {1999, 42}} {
		seq, ns, ok := parseText(msgText(c.seq, c.ns))
		if !ok || seq != c.seq || ns != c.ns {
			t.Errorf("parseText(msgText(%d, %d)) = %d, %d, %v", c.seq, c.ns, seq, ns, ok)
		}
	}
	for _, bad := range []string{"", "12", ":", "a:1", "1:b", "-1:5", "1:2:3", "1795653871903000000"} {
		if _, _, ok := parseText(bad); ok {
			t.Errorf("parseText(%q) ok, want a refusal", bad)
		}
	}
}

func TestDeliveryText(t *testing.T) {
	tests := []struct {
		frame string
		seq   int
		ns    int64
		ok    bool
	}{
		{`{"type":"chat.delivery","room":"r","user":"u","text":"7:123","id":"x","ts":1}`, 7, 123, true},
		{`{"type":"chat.delivery","room":"r","user":"u","text":"7\u003a123","id":"x","ts":1}`, 7, 123, true}, // escaped: decoded
		{`{"type":"chat.delivery","room":"r","user":"u","text":"hello","id":"x","ts":1}`, 0, 0, false},
		{`{"type":"chat.delivery","room":"r","user":"u","id":"x","ts":1}`, 0, 0, false},
		{`{"type":"chat.delivery","text":"1\u003a2"`, 0, 0, false}, // escaped and not JSON
	}
	for _, tt := range tests {
		seq, ns, ok := deliveryText([]byte(tt.frame))
		if seq != tt.seq || ns != tt.ns || ok != tt.ok {
			t.Errorf("deliveryText(%s) = %d, %d, %v; want %d, %d, %v", tt.frame, seq, ns, ok, tt.seq, tt.ns, tt.ok)
		}
	}
}

func TestParseChange(t *testing.T) {
	tests := []struct {
		frame  string
		joins  []string
		leaves []string
		ok     bool
	}{
		{`{"type":"presence.join","room":"r","user":"a","ts":1}`, []string{"a"}, nil, true},
		{`{"type":"presence.leave","room":"r","user":"a","ts":1}`, nil, []string{"a"}, true},
		{`{"type":"presence.join","room":"r","user":"a\u00e9","ts":1}`, []string{"aé"}, nil, true},
		{`{"type":"presence.join","room":"r","ts":1}`, nil, nil, false},
		{`{"type":"presence.diff","room":"r","joins":["a","b"],"leaves":["c"],"ts":1}`, []string{"a", "b"}, []string{"c"}, true},
		{`{"type":"presence.diff","room":"r","joins":[],"leaves":["c"],"ts":1}`, []string{}, []string{"c"}, true},
		{`{"type":"presence.diff","room":"r","joins":[1],"leaves":[],"ts":1}`, nil, nil, false},
		{`{"type":"presence.diff"`, nil, nil, false},
	}
	for _, tt := range tests {
		data := []byte(tt.frame)
		ch, ok := parseChange(kindOf(data), data)
		if ok != tt.ok || !slices.Equal(ch.joins, tt.joins) || !slices.Equal(ch.leaves, tt.leaves) {
			t.Errorf("parseChange(%s) = %+v, %v; want joins %v leaves %v, %v", tt.frame, ch, ok, tt.joins, tt.leaves, tt.ok)
		}
	}
	if _, ok := parseChange(kindDelivery, []byte(`{"type":"chat.delivery"}`)); ok {
		t.Error("parseChange of a delivery is ok, want false")
	}
}

func TestParseState(t *testing.T) {
	if users, ok := parseState([]byte(`{"type":"presence.state","room":"r","users":["a","b"]}`)); !ok || !slices.Equal(users, []string{"a", "b"}) {
		t.Errorf("parseState = %v, %v", users, ok)
	}
	if users, ok := parseState([]byte(`{"type":"presence.state","room":"r","users":[]}`)); !ok || len(users) != 0 {
		t.Errorf("parseState(empty) = %v, %v", users, ok)
	}
	for _, bad := range []string{`{"type":"presence.state","room":"r"}`, `{"type":"presence.state","users":null}`, `{"users":"a"}`, `x`} {
		if _, ok := parseState([]byte(bad)); ok {
			t.Errorf("parseState(%s) ok, want false", bad)
		}
	}
}

func TestPresenceSet(t *testing.T) {
	join := func(u ...string) change { return change{joins: u} }
	leave := func(u ...string) change { return change{leaves: u} }
	tests := []struct {
		name    string
		steps   []any // change, or []string for a presence.state
		final   []string
		equal   bool
		extra   int
		missing int
	}{
		{"state only", []any{[]string{"a", "b"}}, []string{"b", "a"}, true, 0, 0},
		{"joins and leaves after the state", []any{[]string{"a"}, join("b"), join("c"), leave("a")}, []string{"b", "c"}, true, 0, 0},
		{"a change before the state is applied on top of it", []any{join("b"), []string{"a"}}, []string{"a", "b"}, true, 0, 0},
		{"a leave before the state is applied on top of it", []any{leave("b"), []string{"a", "b"}}, []string{"a"}, true, 0, 0},
		{"held changes keep their order", []any{join("b"), leave("b"), []string{"a", "b"}}, []string{"a"}, true, 0, 0},
		{"diff: leaves then joins", []any{[]string{"a", "b"}, change{joins: []string{"c"}, leaves: []string{"a"}}}, []string{"b", "c"}, true, 0, 0},
		{"a later state replaces the set", []any{[]string{"a"}, join("b"), []string{"x"}}, []string{"x"}, true, 0, 0},
		{"a later state does not replay held changes", []any{join("b"), []string{"a"}, []string{"x"}}, []string{"x"}, true, 0, 0},
		{"missing a leave", []any{[]string{"a", "b"}}, []string{"a"}, false, 1, 0},
		{"missing a join", []any{[]string{"a"}}, []string{"a", "b"}, false, 0, 1},
		{"a duplicate in the answer is not equal", []any{[]string{"a", "b"}}, []string{"a", "a"}, false, 1, 0},
		{"never ready", []any{join("a")}, []string{"a"}, false, 0, 1},
		{"empty", []any{[]string{}}, []string{}, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p presenceSet
			for _, s := range tt.steps {
				switch s := s.(type) {
				case change:
					p.apply(s)
				case []string:
					p.replace(s)
				}
			}
			if got := p.equals(tt.final); got != tt.equal {
				t.Errorf("equals(%v) = %v, want %v (set %v)", tt.final, got, tt.equal, p.users)
			}
			if extra, missing := p.difference(tt.final); extra != tt.extra || missing != tt.missing {
				t.Errorf("difference(%v) = %d, %d; want %d, %d", tt.final, extra, missing, tt.extra, tt.missing)
			}
		})
	}
}

func TestWSTextFrame(t *testing.T) {
	tests := []struct {
		n      int
		header []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xFF, 0xFF}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	}
	for _, tt := range tests {
		payload := bytes.Repeat([]byte{'x'}, tt.n)
		got := wsTextFrame(payload)
		if !bytes.Equal(got[:len(tt.header)], tt.header) || !bytes.Equal(got[len(tt.header):], payload) {
			t.Errorf("wsTextFrame(%d bytes) header = % x, want % x", tt.n, got[:min(len(got), 10)], tt.header)
		}
	}
}
