package mdtable

import "testing"

func TestDash(t *testing.T) {
	for in, want := range map[string]string{"": "—", "a|b\nc": `a\|b c`, "ok": "ok"} {
		if got := Dash(in); got != want {
			t.Errorf("Dash(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCounts(t *testing.T) {
	if got := Counts(nil); got != "none" {
		t.Errorf("Counts(nil) = %q, want none", got)
	}
	m := map[string]int{"1006 (no close frame)": 2, "4002": 5, "1001": 2}
	if got, want := Counts(m), "4002 ×5, 1001 ×2, 1006 (no close frame) ×2"; got != want {
		t.Errorf("Counts = %q, want %q", got, want)
	}
}
