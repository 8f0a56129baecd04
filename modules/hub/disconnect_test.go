package hub

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/presence"
)

// recordingBus keeps what is published on it.
type recordingBus struct {
	bus.Bus
	frames [][]byte
}

func (r *recordingBus) Publish(ctx context.Context, m bus.Message) error {
	r.frames = append(r.frames, m.Frame)
	return r.Bus.Publish(ctx, m)
}

// A disconnect goes on the bus as the JSON command every node reads: empty
// room and reason left out, text as given.
func TestDisconnectCommandOnTheBus(t *testing.T) {
	for _, tc := range []struct {
		user, room, reason, want string
	}{
		{"u", "", "", `{"type":"disconnect","user":"u"}`},
		{"u", "r", "a <b> & \"c\"", `{"type":"disconnect","user":"u","room":"r","reason":"a <b> & \"c\""}`},
	} {
		b := &recordingBus{Bus: newMemory()}
		h := newHistoryHub(b)
		if err := h.Disconnect(t.Context(), tc.user, tc.room, tc.reason); err != nil {
			t.Fatal(err)
		}
		if len(b.frames) != 1 || string(b.frames[0]) != tc.want {
			t.Errorf("published %q, want %s", b.frames, tc.want)
		}
	}
}

// Whatever else reaches the control room (anything with access to Redis can
// publish there) is dropped and logged without its content; that includes
// what Disconnect never publishes: a name given twice, a reason that is not
// UTF-8.
func TestControlDropsWhatIsNoCommand(t *testing.T) {
	for _, payload := range []string{
		`not json secret`,
		`["secret"]`,
		`null`,
		`"secret"`,
		`{"type":"shutdown","user":"secret"}`,
		`{"type":"disconnect","user":"secret\u001b"}`,
		`{"type":"disconnect","reason":"secret"}`,
		`{"type":"disconnect","user":"secret","user":"twice"}`,
		"{\"type\":\"disconnect\",\"user\":\"u\",\"reason\":\"\xff secret\"}",
		`{"type":"disconnect","user":"u"} trailing secret`,
	} {
		var logged bytes.Buffer
		h := hubLoggingTo(&logged)
		called := false
		h.OnDisconnect(func(string, string, string) int { called = true; return 0 })
		h.obey(bus.Message{Room: controlRoom, Frame: []byte(payload)})
		if called {
			t.Errorf("%q reached the transport", payload)
		}
		if !strings.Contains(logged.String(), "dropped a message that is not a command") {
			t.Errorf("%q: not logged as dropped: %s", payload, logged.String())
		}
		if strings.Contains(logged.String(), "secret") || strings.Contains(logged.String(), "twice") {
			t.Errorf("%q: the log quotes the payload: %s", payload, logged.String())
		}
	}
}

func hubLoggingTo(buf *bytes.Buffer) *Hub {
	tracker := presence.NewTracker(presence.NewMemory(time.Minute), time.Minute, discard)
	log := slog.New(slog.NewTextHandler(buf, nil))
	return newHub(newMemory(), tracker, NewULIDs(), Limits{MaxMessageBytes: 4096}, log)
}
