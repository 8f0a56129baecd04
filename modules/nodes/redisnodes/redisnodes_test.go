package redisnodes_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/nodes"
	"github.com/rtserver/rt/modules/nodes/redisnodes"
	"github.com/rtserver/rt/modules/redis/redistest"
)

func TestRecordsOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	c := redistest.NewClient(t, srv.Addr())
	checkRecords(t, c)
	if mode, shards, err := redisnodes.Shards(t.Context(), c); mode != "redis" || shards != 0 || err != nil {
		t.Errorf("Shards = %s %d %v, want redis 0", mode, shards, err)
	}
}

// On a cluster every key shares one hash tag, so the MGET of every record
// is one slot's and is served.
func TestRecordsOnACluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	c := cl.Client(t)
	checkRecords(t, c)
	if mode, shards, err := redisnodes.Shards(t.Context(), c); mode != "cluster" || shards != 3 || err != nil {
		t.Errorf("Shards = %s %d %v, want cluster 3", mode, shards, err)
	}
}

// checkRecords: two nodes see each other, a removed one is gone at once, one
// that stops writing is gone once its TTL has passed, and the index keeps no
// id whose record is long gone.
func checkRecords(t *testing.T, c rueidis.Client) {
	t.Helper()
	ctx := t.Context()
	a, b := redisnodes.New(c), redisnodes.New(c)
	put(t, a, nodes.Node{ID: "a", Version: "v1", Connections: 3}, time.Minute)
	put(t, b, nodes.Node{ID: "b", Backend: nodes.Backend{Mode: "redis", Status: "ok"}}, time.Minute)
	if got := ids(t, a); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("a lists %q, want [a b]", got)
	}
	listed, _ := b.List(ctx)
	for _, n := range listed {
		if n.ID == "a" && (n.Version != "v1" || n.Connections != 3) {
			t.Errorf("b reads a's record as %+v", n)
		}
	}

	if err := b.Remove(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, a); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after b's Remove a lists %q, want [a]", got)
	}

	// A node killed mid-run writes nothing more: its record expires.
	put(t, b, nodes.Node{ID: "killed"}, 200*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(ids(t, a), "killed") {
		if time.Now().After(deadline) {
			t.Fatal("a killed node's record never expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A node with a shorter TTL does not prune a live node with a longer
	// one from the index; an id long expired is pruned by the next write.
	put(t, b, nodes.Node{ID: "slow"}, time.Minute)
	if err := c.Do(ctx, c.B().Zadd().Key("rt:{nodes}").ScoreMember().
		ScoreMember(float64(time.Now().Add(-2*time.Minute).UnixMilli()), "long-gone").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	put(t, a, nodes.Node{ID: "a"}, 200*time.Millisecond)
	index, err := c.Do(ctx, c.B().Zrange().Key("rt:{nodes}").Min("0").Max("-1").Build()).AsStrSlice()
	if slices.Sort(index); err != nil || !slices.Equal(index, []string{"a", "killed", "slow"}) {
		t.Errorf("the index holds %q (%v), want [a killed slow]", index, err)
	}
	if got := ids(t, a); !slices.Equal(got, []string{"a", "slow"}) {
		t.Errorf("a lists %q, want [a slow]", got)
	}
	_ = a.Remove(context.Background(), "a")
	_ = b.Remove(context.Background(), "slow")
}

func put(t *testing.T, s *redisnodes.Store, n nodes.Node, ttl time.Duration) {
	t.Helper()
	if err := s.Put(t.Context(), n, ttl); err != nil {
		t.Fatalf("Put %s: %v", n.ID, err)
	}
}

func ids(t *testing.T, s *redisnodes.Store) []string {
	t.Helper()
	listed, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var out []string
	for _, n := range listed {
		out = append(out, n.ID)
	}
	slices.Sort(out)
	return out
}
