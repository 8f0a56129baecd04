package protocol

import (
	"math"
	"testing"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		id      string
		ms, seq uint64
		ok      bool
	}{
		{"0000000000000000000000000000", 0, 0, true},
		{"019ad4c3e2a00000000000000001", 0x019ad4c3e2a0, 1, true},
		{"ffffffffffffffffffffffffffff", 1<<48 - 1, math.MaxUint64, true},
		{"", 0, 0, false},
		{"019ad4c3e2a0000000000000001", 0, 0, false},   // 27
		{"019ad4c3e2a000000000000000001", 0, 0, false}, // 29
		{"019AD4C3E2A00000000000000001", 0, 0, false},  // upper case
		{"019ad4c3e2a0000000000000000g", 0, 0, false},
		{"1764500000000-0", 0, 0, false}, // a Redis Stream id is not a message id
		{"019ad4c3e2a0-000000000000001", 0, 0, false},
		{"01HZX3J5Q4Z8K8N2W6V7T9R1AB", 0, 0, false}, // a ULID
	}
	for _, tc := range tests {
		ms, seq, ok := ParseID(tc.id)
		if ok != tc.ok || ms != tc.ms || seq != tc.seq {
			t.Errorf("ParseID(%q) = %x, %x, %v; want %x, %x, %v", tc.id, ms, seq, ok, tc.ms, tc.seq, tc.ok)
		}
	}
}

func TestFormatIDRoundTripsAndSorts(t *testing.T) {
	positions := [][2]uint64{{0, 0}, {0, 1}, {0, 15}, {0, 16}, {1, 0}, {1764500000000, 0}, {1764500000000, 9}, {1764500000000, 10}, {1764500000001, 0}, {1<<48 - 1, math.MaxUint64}}
	prev := ""
	for _, p := range positions {
		id := FormatID(p[0], p[1])
		ms, seq, ok := ParseID(id)
		if !ok || ms != p[0] || seq != p[1] {
			t.Fatalf("FormatID(%d, %d) = %q, parsed back as %d, %d, %v", p[0], p[1], id, ms, seq, ok)
		}
		if id <= prev {
			t.Fatalf("%q sorts before or with %q", id, prev)
		}
		prev = id
	}
	if got := FormatID(1<<50, 3); got != FormatID(1<<48-1, 3) {
		t.Fatalf("ms beyond 48 bits not clamped: %q", got)
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("019ad4c3e2a00000000000000001")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		ms, seq, ok := ParseID(s)
		if !ok {
			return
		}
		if FormatID(ms, seq) != s {
			t.Fatalf("ParseID(%q) = %d, %d does not format back", s, ms, seq)
		}
	})
}
