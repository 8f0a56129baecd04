package ws

import (
	"log/slog"
	"testing"
)

// A recovery of a connection that is closing by the end of the grace
// never asks for a page, so it costs no history read.
func TestRecoveryOfAClosedConnectionReadsNothing(t *testing.T) {
	c := newConn(nil, "r", "u", Limits{}, newStats(), slog.New(slog.DiscardHandler))
	c.once.Do(func() { close(c.closing) }) // closed right after the upgrade
	p := &historyPacer{c: c}
	if _, ok := p.Next(t.Context()); ok {
		t.Fatal("a page allowed for a closed connection")
	}
}

// An open connection gets its first page after the grace, as many messages
// as its limits say.
func TestRecoveryOfAnOpenConnectionReads(t *testing.T) {
	c := newConn(nil, "r", "u", Limits{PageEntries: 7}, newStats(), slog.New(slog.DiscardHandler))
	p := &historyPacer{c: c}
	if n, ok := p.Next(t.Context()); !ok || n != 7 {
		t.Fatalf("Next = %d, %v; want 7, true", n, ok)
	}
}
