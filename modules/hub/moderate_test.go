package hub

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/protocol"
)

const hookSecret = "hub-test-hook-secret-0123"

// moderatedHub is a hub whose publish hook is a real backend: it verifies
// each request's signature and answers by the message's text (see
// moderatorBackend).
func moderatedHub(t *testing.T) *Hub {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(moderatorBackend))
	t.Cleanup(srv.Close)
	c := hooks.NewCaller(hookSecret, 2*time.Second, 8, nil)
	t.Cleanup(c.Close)
	h := newHistoryHub(newMemory())
	h.moderator = hooks.NewModerator(c, srv.URL, false, nil, discard)
	return h
}

// moderatorBackend answers the publish hook by the message's text: "bad"
// is rejected with a reason, "mute" without one, "star" has its text
// replaced, "tag" its data, "wipe" loses both, "huge" is replaced by a
// text over the limit, "down" gets a 500; the rest is allowed as it is,
// after a random pause, so that answers come back out of order.
func moderatorBackend(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if hooks.Verify([]byte(hookSecret), r.Header.Get(hooks.SignatureHeader), body, time.Now(), time.Minute) != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p struct{ Text string }
	_ = json.Unmarshal(body, &p)
	answer := map[string]string{
		"bad":  `{"allow":false,"reason":"no swearing"}`,
		"mute": `{"allow":false}`,
		"star": `{"allow":true,"text":"s**r"}`,
		"tag":  `{"allow":true,"data":{"tagged":true}}`,
		"wipe": `{"allow":true,"text":"","data":null}`,
		"huge": `{"allow":true,"text":"` + strings.Repeat("x", 5000) + `"}`,
	}[p.Text]
	switch {
	case p.Text == "down":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case answer == "":
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		answer = `{"allow":true}`
	}
	_, _ = io.WriteString(w, answer)
}

// A batch goes through the hook at once and comes out in order: what is
// refused gets its error and is neither stored nor delivered; a
// replacement is delivered and stored as replaced, and checked like the
// message was.
func TestSayAllModerated(t *testing.T) {
	h := moderatedHub(t)
	m := &member{}
	if _, err := h.Join(t.Context(), Client{Room: "r", User: "w", Member: m}); err != nil {
		t.Fatal(err)
	}
	said := []Said{text("r", "one"), text("r", "bad"), text("r", "star"), text("r", "mute"),
		{Room: "r", Content: Content{Text: "tag", Data: []byte(`[1]`)}}, text("r", "wipe"), text("r", "huge"),
		text("r", "down"), text("r", strings.Repeat("y", 4097)), text("r", "two")}
	ps, errs := h.SayAll(t.Context(), "alice", said)
	want := []error{nil, &protocol.Error{Code: protocol.CodeRejected, Message: "no swearing"}, nil, ErrRejected,
		nil, ErrRejected, ErrTextTooLong, ErrNotModerated, ErrTextTooLong, nil}
	for i, err := range errs {
		if !sameError(err, want[i]) {
			t.Errorf("message %d (%.10s): %v, want %v", i, said[i].Text, err, want[i])
		}
		if (err == nil) != (ps[i].ID != "") {
			t.Errorf("message %d: published %+v with error %v", i, ps[i], err)
		}
	}
	waitFrames(t, m, 5) // presence.join, then the four allowed
	var got []string
	for _, f := range m.strings()[1:] {
		got = append(got, f[strings.Index(f, `"user"`):strings.Index(f, `,"id"`)])
	}
	wantFrames := []string{`"user":"alice","text":"one"`, `"user":"alice","text":"s**r"`,
		`"user":"alice","text":"tag","data":{"tagged":true}`, `"user":"alice","text":"two"`}
	if strings.Join(got, "\n") != strings.Join(wantFrames, "\n") {
		t.Errorf("delivered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantFrames, "\n"))
	}
	page, _, err := h.bus.Before(t.Context(), "r", "", 100)
	if err != nil || len(page) != 4 || !strings.Contains(string(page[1].Frame), `"text":"s**r"`) {
		t.Errorf("history %d messages, %v", len(page), err)
	}
}

// Messages of one client keep their order through a hook that answers
// them out of order, and so do the server API's.
func TestModeratedOrder(t *testing.T) {
	h := moderatedHub(t)
	m := &member{}
	if _, err := h.Join(t.Context(), Client{Room: "r", User: "w", Member: m}); err != nil {
		t.Fatal(err)
	}
	var said []Said
	for i := range 30 {
		said = append(said, text("r", "m"+strings.Repeat("i", i)))
	}
	if _, errs := h.SayAll(t.Context(), "alice", said); errors.Join(errs...) != nil {
		t.Fatal(errors.Join(errs...))
	}
	if _, err := h.Publish(t.Context(), "r", "bot", Content{Text: "bad"}); !sameError(err, &protocol.Error{Code: protocol.CodeRejected, Message: "no swearing"}) {
		t.Fatalf("server API publish of a rejected message: %v", err)
	}
	waitFrames(t, m, 31)
	for i, f := range m.strings()[1:] {
		if !strings.Contains(f, `"text":"m`+strings.Repeat("i", i)+`"`) {
			t.Fatalf("delivery %d: %s", i, f)
		}
	}
}

func sameError(got, want error) bool {
	var g, w *protocol.Error
	if errors.As(got, &g) && errors.As(want, &w) {
		return *g == *w
	}
	return got == want
}
