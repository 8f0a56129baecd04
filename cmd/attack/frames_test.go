package main

import (
	"bytes"
	"slices"
	"testing"
)

func TestMaskedFrame(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	tests := []struct {
		name    string
		fin     bool
		op      byte
		payload []byte
		head    []byte // up to and including the masking key
	}{
		{"empty continuation without FIN", false, opContinuation, nil, []byte{0x00, 0x80, 1, 2, 3, 4}},
		{"empty text without FIN", false, opText, nil, []byte{0x01, 0x80, 1, 2, 3, 4}},
		{"short text with FIN", true, opText, []byte("hi"), []byte{0x81, 0x82, 1, 2, 3, 4}},
		{"16-bit length", true, opText, make([]byte, 300), []byte{0x81, 0x80 | 126, 1, 44, 1, 2, 3, 4}},
		{"64-bit length", true, opText, make([]byte, 70000), []byte{0x81, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70, 1, 2, 3, 4}},
	}
	for _, tt := range tests {
		got := maskedFrame(tt.fin, tt.op, tt.payload, key)
		if !bytes.HasPrefix(got, tt.head) || len(got) != len(tt.head)+len(tt.payload) {
			t.Errorf("%s: frame starts % x (len %d), want % x… (len %d)", tt.name, got[:min(len(got), 16)], len(got), tt.head, len(tt.head)+len(tt.payload))
			continue
		}
		for i, c := range got[len(tt.head):] { // unmasking gives the payload back
			if c^key[i%4] != tt.payload[i] {
				t.Errorf("%s: payload byte %d not masked with the key", tt.name, i)
				break
			}
		}
	}
}

func TestFragmentFlood(t *testing.T) {
	key := [4]byte{9, 8, 7, 6}
	opening, repeat := fragmentFlood(3, key)
	if !bytes.Equal(opening, []byte{0x01, 0x80, 9, 8, 7, 6}) {
		t.Errorf("opening = % x, want a text frame without FIN, masked, empty", opening)
	}
	one := []byte{0x00, 0x80, 9, 8, 7, 6}
	if !bytes.Equal(repeat, bytes.Repeat(one, 3)) {
		t.Errorf("repeat = % x, want 3 empty continuation frames without FIN", repeat)
	}
	if _, r := fragmentFlood(floodFrames, key); len(r)%6 != 0 || len(r) > 256<<10 {
		t.Errorf("a flood write is %d bytes: not whole 6-byte frames within 256 KiB", len(r))
	}
}

func TestFrameType(t *testing.T) {
	tests := []struct{ data, typ, code string }{
		{`{"type":"history.page","room":"r","messages":[],"more":false}`, "history.page", ""},
		{`{"type":"system.error","code":"rate_limited","message":"too many frames; slow down"}`, "system.error", "rate_limited"},
		{`{"room":"r","type":"chat.delivery"}`, "chat.delivery", ""},
		{`not json`, "unreadable", ""},
	}
	for _, tt := range tests {
		typ, code := frameType([]byte(tt.data))
		if typ != tt.typ || code != tt.code {
			t.Errorf("frameType(%s) = %q, %q; want %q, %q", tt.data, typ, code, tt.typ, tt.code)
		}
	}
}

func TestChatMessageCarriesTheBigTextUnescaped(t *testing.T) {
	m := chatMessage(bigText)
	// encoding/json writes each '<' as \u003c: the frame is about 24.6 KB,
	// within MAX_FRAME_BYTES (65536), and the server counts the text after
	// unescaping: 4096 bytes, MAX_TEXT_BYTES.
	if len(m) > 65536 || !bytes.Contains(m, []byte(`"type":"chat.message"`)) {
		t.Errorf("chat.message of %d bytes: %.60s…", len(m), m)
	}
}

func TestProbeRoundTrip(t *testing.T) {
	seq, sent, ok := parseProbe(probeText(42, 1795653871903000000))
	if !ok || seq != 42 || sent != 1795653871903000000 {
		t.Errorf("parseProbe = %d, %d, %v", seq, sent, ok)
	}
	for _, bad := range []string{"", "probe", "probe x 1", "hello 1 2", "probe 1 2 3"} {
		if _, _, ok := parseProbe(bad); ok {
			t.Errorf("parseProbe(%q) accepted", bad)
		}
	}
}

func TestPercentile(t *testing.T) {
	v := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for p, want := range map[float64]int64{50: 5, 99: 10, 100: 10, 10: 1} {
		if got := percentile(v, p); got != want {
			t.Errorf("percentile(%v) = %d, want %d", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 || !slices.IsSorted(v) {
		t.Error("percentile of nothing is 0 and leaves its input alone")
	}
}
