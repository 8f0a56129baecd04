package hub

import (
	"encoding/json"
	"fmt"
	"testing"
)

// A page larger than the socket's room keeps the newest messages that fit,
// at least one, and says more; the API's Page is never cut.
func TestPageWithin(t *testing.T) {
	b := newMemory()
	h := newHistoryHub(b)
	_, all := watched(t, h, 10)
	_, whole, err := h.PageWithin(t.Context(), "r", "", 100, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	one := whole / 10 // every delivery of say is as long: its text is one digit
	for _, tc := range []struct {
		maxBytes, want int
		more           bool
	}{
		{1 << 30, 10, false},
		{10 * one, 10, false},
		{10*one - 1, 9, true},
		{3 * one, 3, true},
		{1, 1, true},
	} {
		page, read, err := h.PageWithin(t.Context(), "r", "", 100, tc.maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Messages []struct{ ID string }
			More     bool
		}
		if err := json.Unmarshal(page, &p); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range p.Messages {
			got = append(got, m.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(all[10-tc.want:]) || p.More != tc.more || read != 10*one {
			t.Errorf("within %d: %v more %v read %d; want the newest %d, more %v, read %d", tc.maxBytes, got, p.More, read, tc.want, tc.more, 10*one)
		}
	}
}
