package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

func TestShutdownClosesSocketsWith1001AndClearsPresence(t *testing.T) {
	srv, n1, n2 := twoNodes(t)
	a := dial(t, n1, "test", "alice")
	a.expect("presence.join")
	b := dial(t, n2, "test", "bob")
	b.expect("presence.join")

	n1.stop(t)
	if code := a.closeCode(); code != 1001 {
		t.Fatalf("close code %d, want 1001", code)
	}
	if f := b.expect("presence.leave", "presence.join"); f.str("user") != "alice" {
		t.Fatalf("bob saw %v", f)
	}
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := c.Do(ctx, c.B().Keys().Pattern("rt:presence:*alice*").Build()).AsStrSlice()
	if err != nil || len(keys) != 0 {
		t.Fatalf("alice's presence keys after shutdown: %v %v", keys, err)
	}
}
