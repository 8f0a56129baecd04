package protocol

import (
	"regexp"
	"strings"
	"testing"
)

// roomPattern is SPEC §3's rule as written; ValidRoom must agree with it.
var roomPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

func TestValidRoomIsThePattern(t *testing.T) {
	check := func(name string) {
		t.Helper()
		if got, want := ValidRoom(name), roomPattern.MatchString(name); got != want {
			t.Errorf("ValidRoom(%q) = %v, the pattern says %v", name, got, want)
		}
	}
	// Every string of up to two bytes, and every byte after a valid start
	// and in the middle of a name.
	check("")
	for a := range 256 {
		check(string(rune(a)))
		check(string([]byte{byte(a)}))
		check("a" + string([]byte{byte(a)}) + "b")
		for b := range 256 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	for _, name := range []string{
		"lobby", "a.b:c-d_e", "A", "0", strings.Repeat("r", 63), strings.Repeat("r", 64), strings.Repeat("r", 65),
		"-x", ".x", "_x", ":x", "a b", "a/b", "zoë", "é", "lobby\n", "\nlobby", "a\x00", "lobby/",
		strings.Repeat("r", 64) + "\n", "r" + strings.Repeat(".", 63), "r" + strings.Repeat(".", 64),
	} {
		check(name)
	}
}

func FuzzValidRoom(f *testing.F) {
	for _, s := range []string{"lobby", "a.b:c-d_e", "-x", "zoë", strings.Repeat("r", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := ValidRoom(name), roomPattern.MatchString(name); got != want {
			t.Errorf("ValidRoom(%q) = %v, the pattern says %v", name, got, want)
		}
	})
}

func BenchmarkValidRoom(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !ValidRoom("conn.abc12.room-00042") {
			b.Fatal("refused")
		}
	}
}
