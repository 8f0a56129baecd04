package history

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/metrics/metricstest"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// Two nodes, each with its own client and bus, appending into one room at
// once: one order of ids, and both buses deliver every message in it.
func TestRedisTwoNodesOneOrder(t *testing.T) {
	srv := redistest.Start(t)
	s := Settings{Size: 1000, TTL: time.Hour}
	nodes := []*redisNode{newRedisNode(t, srv, s), newRedisNode(t, srv, s)}
	recs := []*recorder{listen(t, nodes[0].node, "room"), listen(t, nodes[1].node, "room")}

	const perNode, goroutinesPerNode, calls = 3, 3, 40
	got := appendConcurrently(t, len(nodes)*goroutinesPerNode, calls, func(g int) Log { return nodes[g%len(nodes)].log },
		func(int, int, int) msg { return newMsg("room") }, func(g, j int) int { return 1 + (g+j)%perNode })
	if t.Failed() {
		return
	}
	var all []sent
	for g := range got {
		wantIncreasing(t, "room", got[g])
		all = append(all, got[g]...)
	}
	slices.SortFunc(all, func(a, b sent) int { return cmp.Compare(a.id, b.id) })
	for k := 1; k < len(all); k++ {
		if all[k-1].id == all[k].id {
			t.Fatalf("id %s given twice", all[k].id)
		}
	}
	for i, r := range recs {
		wantPublished(t, "node "+string(rune('1'+i)), r.waitCount(t, len(all)), all)
	}
	for _, n := range nodes {
		wantEntries(t, "history", pageBack(t, n.log, "room", 100), all)
	}
}

// After FLUSHALL the room's stream is gone: an old id is no longer held,
// and the stream made again numbers from the clock.
func TestRedisFlushAll(t *testing.T) {
	srv := redistest.Start(t)
	const size = 10
	n := newRedisNode(t, srv, Settings{Size: size, TTL: time.Hour})
	r := listen(t, n.node, "r")
	old := appendN(t, n.log, "r", 5, 5)
	flushAll(t, n.client)
	for _, s := range old {
		wantAfter(t, n.log, "r", s.id, nil, size)
	}
	wantBefore(t, n.log, "r", "", 10, nil)

	// The new stream's first id is the clock's: above the old ones unless
	// the clock went back, or the stream was made again within the
	// millisecond of the last old id (TestRedisFlushAllSameMillisecond).
	time.Sleep(3 * time.Millisecond)
	fresh := appendN(t, n.log, "r", 3, 3)
	if fresh[0].id <= old[4].id {
		t.Fatalf("first id after FLUSHALL %s is not above the last before %s", fresh[0].id, old[4].id)
	}
	wantPublished(t, "bus", r.waitID(t, fresh[2].id), append(old, fresh...))
	wantAfter(t, n.log, "r", old[4].id, fresh, size)
	for _, s := range fresh {
		wantAfter(t, n.log, "r", s.id, fresh, size)
	}
	wantBefore(t, n.log, "r", "", 10, fresh)
}

// FLUSHALL right after an append: the stream made again starts a
// millisecond after the clock XADD numbers with, so its ids are above every
// id numbered by that clock before, even in the same millisecond. (Only a
// stream itself made again within the last millisecond, whose ids run a
// millisecond ahead, could be passed: each round therefore starts from a
// stream numbered by the clock.)
func TestRedisFlushAllSameMillisecond(t *testing.T) {
	srv := redistest.Start(t)
	n := newRedisNode(t, srv, Settings{Size: 10, TTL: time.Hour})
	for range 50 {
		flushAll(t, n.client)
		if err := n.client.Do(t.Context(), n.client.B().Xadd().Key(Key("r")).Id("*").FieldValue().FieldValue("f", "x").Build()).Error(); err != nil {
			t.Fatal(err)
		}
		before := appendN(t, n.log, "r", 3, 3)
		flushAll(t, n.client)
		after := appendMsgs(t, n.log, newMsg("r"))[0]
		if last := before[2].id; after.id <= last {
			t.Fatalf("after FLUSHALL id %s is not above the last before, %s", after.id, last)
		}
	}
}

// A stopped Redis: every call fails, within the command timeout, without
// writing an id into any frame, and counts a history failure.
func TestRedisStopped(t *testing.T) {
	srv := redistest.Start(t)
	n := newRedisNode(t, srv, Settings{Size: 10, TTL: time.Hour})
	held := appendN(t, n.log, "r", 1, 1)
	srv.Stop()
	wantFailures(t, n, held[0].id)
	f := metricstest.Gather(t, n.stats.Collectors()...)
	// One for the append (its two drafts of one room are one script call),
	// one for each read.
	if got := f.Value("rt_redis_errors_total", "op", redis.OpHistory); got < 3 {
		t.Errorf("history failures counted %v, want at least 3", got)
	}
}

// A Redis that does not answer (SIGSTOP): every call gives up at the
// command timeout.
func TestRedisPaused(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the command timeout")
	}
	srv := redistest.Start(t)
	n := newRedisNode(t, srv, Settings{Size: 10, TTL: time.Hour})
	held := appendN(t, n.log, "r", 1, 1)
	srv.Pause(t)
	defer srv.Resume(t)
	wantFailures(t, n, held[0].id)
}

// wantFailures calls Append (two drafts), After and Before at once on n,
// whose Redis is away, and checks each fails within the command timeout.
func wantFailures(t *testing.T, n *redisNode, since string) {
	t.Helper()
	limit := commandTimeout + 2*time.Second
	var wg sync.WaitGroup
	check := func(what string, f func() error) {
		wg.Go(func() {
			start := time.Now()
			err := f()
			took := time.Since(start)
			t.Logf("%s failed after %v", what, took.Round(time.Millisecond))
			if took > limit {
				t.Errorf("%s took %v, more than %v", what, took, limit)
			}
			if err == nil {
				t.Errorf("%s succeeded with Redis away", what)
			}
		})
	}
	drafts := []Draft{newMsg("r").draft(), newMsg("r").draft()}
	orig := [][]byte{bytes.Clone(drafts[0].Frame), bytes.Clone(drafts[1].Frame)}
	check("Append", func() error {
		ids, errs := n.log.Append(context.Background(), drafts)
		if len(ids) != 2 || len(errs) != 2 {
			return errors.New("wrong number of results")
		}
		for i := range drafts {
			if errs[i] == nil {
				return nil
			}
			if ids[i] != "" || !bytes.Equal(drafts[i].Frame, orig[i]) {
				t.Errorf("failed draft %d: id %q, frame %s", i, ids[i], drafts[i].Frame)
			}
		}
		return errs[0]
	})
	check("After", func() error { _, _, err := n.log.After(context.Background(), "r", since); return err })
	check("Before", func() error { _, _, err := n.log.Before(context.Background(), "r", "", 10); return err })
	wg.Wait()
}

// Before the redis module has opened its client.
func TestRedisNotStarted(t *testing.T) {
	h := NewRedis(func() rueidis.Client { return nil }, Settings{Size: 10, TTL: time.Hour}, redis.NewStats())
	_, errs := h.Append(t.Context(), []Draft{newMsg("r").draft()})
	if !errors.Is(errs[0], errNotStarted) {
		t.Errorf("Append: %v", errs[0])
	}
	if _, _, err := h.After(t.Context(), "r", FloorID(1)); !errors.Is(err, errNotStarted) {
		t.Errorf("After: %v", err)
	}
	if _, _, err := h.Before(t.Context(), "r", "", 10); !errors.Is(err, errNotStarted) {
		t.Errorf("Before: %v", err)
	}
}

// The Redis store refuses an id that is not one rather than asking Redis.
func TestRedisMalformedID(t *testing.T) {
	srv := redistest.Start(t)
	n := newRedisNode(t, srv, Settings{Size: 10, TTL: time.Hour})
	for _, id := range []string{"", "x", "0000000000000000000000000000a", "000000000000000000000000000G"} {
		if _, _, err := n.log.After(t.Context(), "r", id); err == nil {
			t.Errorf("After(%q) succeeded", id)
		}
		if id == "" {
			continue // Before's "" is the newest
		}
		if _, _, err := n.log.Before(t.Context(), "r", id, 10); err == nil {
			t.Errorf("Before(%q) succeeded", id)
		}
	}
}

// The room's stream expires TTL after its last message; Redis removes it
// once the room is quiet that long.
func TestRedisKeyExpires(t *testing.T) {
	srv := redistest.Start(t)
	long := newRedisNode(t, srv, Settings{Size: 10, TTL: time.Hour})
	c := long.client
	appendN(t, long.log, "long", 2, 2)
	pttl, err := c.Do(t.Context(), c.B().Pttl().Key(Key("long")).Build()).AsInt64()
	if err != nil || pttl <= time.Hour.Milliseconds()-waitLimit.Milliseconds() || pttl > time.Hour.Milliseconds() {
		t.Fatalf("PTTL %s = %d, %v; want about an hour", Key("long"), pttl, err)
	}

	const ttl = 300 * time.Millisecond
	n := newRedisNode(t, srv, Settings{Size: 10, TTL: ttl})
	old := appendN(t, n.log, "r", 2, 2)
	deadline := time.Now().Add(waitLimit)
	for {
		n, err := c.Do(t.Context(), c.B().Exists().Key(Key("r")).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still exists %v after a TTL of %v", Key("r"), waitLimit, ttl)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantAfter(t, n.log, "r", old[1].id, nil, 10)
	fresh := appendN(t, n.log, "r", 1, 1)
	if fresh[0].id <= old[1].id {
		t.Fatalf("id after expiry %s not above %s", fresh[0].id, old[1].id)
	}
	wantAfter(t, n.log, "r", old[1].id, fresh, 10)
}

// MAXLEN ~ keeps at least Size entries and trims the rest in whole nodes;
// Size 0 keeps a stream with no entries, which still numbers them.
func TestRedisStreamLength(t *testing.T) {
	srv := redistest.Start(t)
	xlen := func(c rueidis.Client, room string) int64 {
		n, err := c.Do(t.Context(), c.B().Xlen().Key(Key(room)).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := newRedisNode(t, srv, Settings{Size: 5, TTL: time.Hour})
	appendN(t, n.log, "r", 20, 20)
	if got := xlen(n.client, "r"); got != 20 {
		t.Errorf("XLEN after 20 appends, size 5 = %d; MAXLEN ~ trims whole nodes only", got)
	}
	appendN(t, n.log, "r", 480, 60)
	if got := xlen(n.client, "r"); got < 5 || got >= 500 {
		t.Errorf("XLEN after 500 appends, size 5 = %d; want trimmed, at least 5", got)
	}

	z := newRedisNode(t, srv, Settings{Size: 0, TTL: time.Hour})
	all := appendN(t, z.log, "z", 5, 2)
	if got := xlen(z.client, "z"); got != 0 {
		t.Errorf("XLEN at size 0 = %d", got)
	}
	wantIncreasing(t, "z", all)
}

// Consecutive drafts of one room go in one script call, at most maxRun
// long; another room starts a new run.
func TestRoomRuns(t *testing.T) {
	d := func(room string) Draft { return Draft{Room: room} }
	drafts := []Draft{d("a"), d("a"), d("b"), d("a")}
	for range maxRun + 1 {
		drafts = append(drafts, d("c"))
	}
	got := roomRuns(drafts)
	want := [][2]int{{0, 2}, {2, 3}, {3, 4}, {4, 4 + maxRun}, {4 + maxRun, 5 + maxRun}}
	if len(got) != len(want) {
		t.Fatalf("runs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("runs %v, want %v", got, want)
		}
	}
}
