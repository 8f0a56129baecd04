package redisbus

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
)

// The payload format is documented (README); this pins it byte for byte.
func TestEncodeEnvelopeFormat(t *testing.T) {
	m := bus.Message{Room: "lobby", ID: "01J9ZK7Q3X", At: 1_700_000_000_123, Frame: []byte(`{"type":"message"}`)}
	want := "1700000000123 01J9ZK7Q3X\n{\"type\":\"message\"}"
	if got := string(encodeEnvelope(m)); got != want {
		t.Errorf("encodeEnvelope = %q, want %q", got, want)
	}
	signal := bus.Message{Room: "lobby", At: 1_700_000_000_124, From: "ann lee", Frame: []byte(`{"type":"room.signal"}`)}
	want = "1700000000124  ann lee\n{\"type\":\"room.signal\"}"
	if got := string(encodeEnvelope(signal)); got != want {
		t.Errorf("encodeEnvelope(signal) = %q, want %q", got, want)
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    bus.Message
	}{
		{"message", bus.Message{ID: "01J9ZK7Q3XG4V2M8N5P6R7S8T9", At: 1_700_000_000_123, Frame: []byte(`{"type":"message","text":"hi"}`)}},
		{"empty id", bus.Message{At: 1_700_000_000_123, Frame: []byte(`{"type":"presence.join"}`)}},
		{"frame with newlines and spaces", bus.Message{ID: "x", At: 5, Frame: []byte("\n12 34\n\n 5 6 \n")}},
		{"signal", bus.Message{At: 7, From: "u:1", Frame: []byte(`{"type":"room.signal"}`)}},
		{"from with spaces", bus.Message{ID: "x", At: 7, From: " a  b ", Frame: []byte("f\n g")}},
		{"from with a carriage return", bus.Message{At: 7, From: "a\r", Frame: []byte("f")}},
		{"empty frame", bus.Message{ID: "x", At: 1}},
		{"at zero", bus.Message{ID: "x", At: 0, Frame: []byte("f")}},
		{"largest at", bus.Message{ID: "x", At: 1<<63 - 1, Frame: []byte("f")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.m.Room = "lobby"
			if err := checkEnvelope(tc.m); err != nil {
				t.Fatalf("checkEnvelope: %v", err)
			}
			got, err := decodeEnvelope("lobby", string(encodeEnvelope(tc.m)))
			if err != nil {
				t.Fatalf("decodeEnvelope(encodeEnvelope(m)): %v", err)
			}
			if !bustest.SameMessage(got, tc.m) {
				t.Errorf("got %+v, want %+v", got, tc.m)
			}
		})
	}
}

func TestDecodeEnvelopeMalformed(t *testing.T) {
	tests := []struct {
		name, payload string
		want          error
	}{
		{"empty payload", "", errNoHeader},
		{"no newline", "1700000000123 01J", errNoHeader},
		{"raw json frame", `{"type":"message","room":"lobby"}`, errNoHeader},
		{"no space", "1700000000123\n{}", errNoIDSep},
		{"json frame with a newline", "{\"type\":\n\"message\"}", errNoIDSep},
		{"non-numeric at", "abc 01J\n{}", errBadAt},
		{"negative at", "-1 01J\n{}", errBadAt},
		{"plus sign", "+1 01J\n{}", errBadAt},
		{"leading zero", "01 01J\n{}", errBadAt},
		{"empty at", " 01J\n{}", errBadAt},
		{"at out of range", "9223372036854775808 01J\n{}", errBadAt},
		{"space before at", " 1 01J\n{}", errBadAt},
		{"space after id without from", "1 01J \n{}", errEmptyFrom},
		{"two spaces without from", "1  \n{}", errEmptyFrom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := decodeEnvelope("lobby", tc.payload)
			if !errors.Is(err, tc.want) {
				t.Errorf("decodeEnvelope(%q) = %+v, %v; want error %v", tc.payload, m, err, tc.want)
			}
		})
	}
}

// What the header cannot carry is refused before encoding, since it would
// not decode to the same message.
func TestCheckEnvelope(t *testing.T) {
	tests := []struct {
		name string
		m    bus.Message
		want error
	}{
		{"negative at", bus.Message{ID: "x", At: -1}, errNegativeAt},
		{"newline in id", bus.Message{ID: "a\nb", At: 1}, errNewlineID},
		{"space in id", bus.Message{ID: "a b", At: 1}, errSpaceID},
		{"newline in from", bus.Message{ID: "a", At: 1, From: "x\ny"}, errNewlineFrom},
		{"fine", bus.Message{ID: "ab\r", At: 1, From: " x y\r", Frame: []byte("\n")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkEnvelope(tc.m); !errors.Is(err, tc.want) {
				t.Errorf("checkEnvelope(%+v) = %v, want %v", tc.m, err, tc.want)
			}
		})
	}
}

// FuzzEnvelope: decoding any payload never panics, and what it accepts is
// canonical (it encodes back to the same bytes); every message that passes
// checkEnvelope survives encode and decode unchanged. The seeds are in
// testdata/fuzz/FuzzEnvelope.
func FuzzEnvelope(f *testing.F) {
	f.Fuzz(func(t *testing.T, at int64, id, from string, payload []byte) {
		if m, err := decodeEnvelope("room", string(payload)); err == nil {
			if err := checkEnvelope(m); err != nil {
				t.Fatalf("decodeEnvelope(%q) accepted %+v, which checkEnvelope refuses: %v", payload, m, err)
			}
			if again := encodeEnvelope(m); !bytes.Equal(again, payload) {
				t.Fatalf("decodeEnvelope(%q) accepted a non-canonical payload: it encodes back as %q", payload, again)
			}
		}

		m := bus.Message{Room: "room", ID: id, At: at, From: from, Frame: payload}
		if checkEnvelope(m) != nil {
			return
		}
		got, err := decodeEnvelope("room", string(encodeEnvelope(m)))
		if err != nil {
			t.Fatalf("decodeEnvelope(encodeEnvelope(%+v)): %v", m, err)
		}
		if !bustest.SameMessage(got, m) {
			t.Fatalf("round trip of %+v gave %+v", m, got)
		}
	})
}
