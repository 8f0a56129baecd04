package presence_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/presence"
)

func entry(room, user, conn string) presence.Entry {
	return presence.Entry{Room: room, User: user, Conn: conn}
}

// discardLog is the logger of trackers whose log a test does not read.
var discardLog = slog.New(slog.DiscardHandler)

// presenceWait polls cond; the bound is a hang guard only.
func presenceWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
	}
}
