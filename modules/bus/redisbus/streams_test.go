package redisbus

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

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// Two nodes, each with its own client and bus, appending into one room at
// once: one order of ids, and both buses deliver every message in it.
func TestRedisTwoNodesOneOrder(t *testing.T) {
	srv := redistest.Start(t)
	s := bus.Settings{Size: 1000, TTL: time.Hour}
	nodes := []*node{newRedisNode(t, srv, s), newRedisNode(t, srv, s)}
	recs := []*bustest.Recorder{bustest.Listen(t, nodes[0], "room"), bustest.Listen(t, nodes[1], "room")}

	const perNode, goroutinesPerNode, calls = 3, 3, 40
	got := bustest.AppendConcurrently(t, len(nodes)*goroutinesPerNode, calls, func(g int) bus.Bus { return nodes[g%len(nodes)] },
		func(int, int, int) bustest.Msg { return bustest.NewMsg("room") }, func(g, j int) int { return 1 + (g+j)%perNode })
	if t.Failed() {
		return
	}
	var all []bustest.Sent
	for g := range got {
		bustest.WantIncreasing(t, "room", got[g])
		all = append(all, got[g]...)
	}
	slices.SortFunc(all, func(x, y bustest.Sent) int { return cmp.Compare(x.ID, y.ID) })
	for k := 1; k < len(all); k++ {
		if all[k-1].ID == all[k].ID {
			t.Fatalf("id %s given twice", all[k].ID)
		}
	}
	for i, r := range recs {
		bustest.WantPublished(t, "node "+string(rune('1'+i)), r.WaitCount(t, len(all)), all)
	}
	for _, n := range nodes {
		bustest.WantEntries(t, "history", bustest.PageBack(t, n, "room", 100), all)
	}
}

// After FLUSHALL the room's stream is gone: an old id is no longer held,
// and the stream made again numbers from the clock.
func TestRedisFlushAll(t *testing.T) {
	srv := redistest.Start(t)
	const size = 10
	n := newRedisNode(t, srv, bus.Settings{Size: size, TTL: time.Hour})
	r := bustest.Listen(t, n, "r")
	old := bustest.AppendN(t, n, "r", 5, 5)
	flushAll(t, n.client)
	for _, s := range old {
		bustest.WantAfter(t, n, "r", s.ID, nil, size)
	}
	bustest.WantBefore(t, n, "r", "", 10, nil)

	// The new stream's first id is the clock's: above the old ones unless
	// the clock went back, or the stream was made again within the
	// millisecond of the last old id (TestRedisFlushAllSameMillisecond).
	time.Sleep(3 * time.Millisecond)
	fresh := bustest.AppendN(t, n, "r", 3, 3)
	if fresh[0].ID <= old[4].ID {
		t.Fatalf("first id after FLUSHALL %s is not above the last before %s", fresh[0].ID, old[4].ID)
	}
	bustest.WantPublished(t, "bus", r.WaitID(t, fresh[2].ID), append(old, fresh...))
	bustest.WantAfter(t, n, "r", old[4].ID, fresh, size)
	for _, s := range fresh {
		bustest.WantAfter(t, n, "r", s.ID, fresh, size)
	}
	bustest.WantBefore(t, n, "r", "", 10, fresh)
}

// FLUSHALL right after an append: the stream made again starts a
// millisecond after the clock XADD numbers with, so its ids are above every
// id numbered by that clock before, even in the same millisecond. (Only a
// stream itself made again within the last millisecond, whose ids run a
// millisecond ahead, could be passed: each round therefore starts from a
// stream numbered by the clock.)
func TestRedisFlushAllSameMillisecond(t *testing.T) {
	srv := redistest.Start(t)
	n := newRedisNode(t, srv, bus.Settings{Size: 10, TTL: time.Hour})
	for range 50 {
		flushAll(t, n.client)
		if err := n.client.Do(t.Context(), n.client.B().Xadd().Key(StreamKey("r")).Id("*").FieldValue().FieldValue("f", "x").Build()).Error(); err != nil {
			t.Fatal(err)
		}
		before := bustest.AppendN(t, n, "r", 3, 3)
		flushAll(t, n.client)
		after := bustest.AppendMsgs(t, n, bustest.NewMsg("r"))[0]
		if last := before[2].ID; after.ID <= last {
			t.Fatalf("after FLUSHALL id %s is not above the last before, %s", after.ID, last)
		}
	}
}

// A stopped Redis: every call fails, within the command timeout, without
// writing an id into any frame, and counts a history failure.
func TestRedisStopped(t *testing.T) {
	srv := redistest.Start(t)
	n := newRedisNode(t, srv, bus.Settings{Size: 10, TTL: time.Hour})
	held := bustest.AppendN(t, n, "r", 1, 1)
	srv.Stop()
	wantFailures(t, n, held[0].ID)
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
	n := newRedisNode(t, srv, bus.Settings{Size: 10, TTL: time.Hour})
	held := bustest.AppendN(t, n, "r", 1, 1)
	srv.Pause(t)
	defer srv.Resume(t)
	wantFailures(t, n, held[0].ID)
}

// wantFailures calls Append (two drafts), After and Before at once on n,
// whose Redis is away, and checks each fails within the command timeout.
func wantFailures(t *testing.T, n *node, since string) {
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
	drafts := []bus.Draft{bustest.NewMsg("r").Draft(), bustest.NewMsg("r").Draft()}
	orig := [][]byte{bytes.Clone(drafts[0].Frame), bytes.Clone(drafts[1].Frame)}
	check("Append", func() error {
		ids, errs := n.Append(context.Background(), drafts)
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
	check("After", func() error { _, _, err := n.After(context.Background(), "r", since); return err })
	check("Before", func() error { _, _, err := n.Before(context.Background(), "r", "", 10); return err })
	wg.Wait()
}

// The Redis store refuses an id that is not one rather than asking Redis.
func TestRedisMalformedID(t *testing.T) {
	srv := redistest.Start(t)
	n := newRedisNode(t, srv, bus.Settings{Size: 10, TTL: time.Hour})
	for _, id := range []string{"", "x", "0000000000000000000000000000a", "000000000000000000000000000G"} {
		if _, _, err := n.After(t.Context(), "r", id); err == nil {
			t.Errorf("After(%q) succeeded", id)
		}
		if id == "" {
			continue // Before's "" is the newest
		}
		if _, _, err := n.Before(t.Context(), "r", id, 10); err == nil {
			t.Errorf("Before(%q) succeeded", id)
		}
	}
}

// The room's stream expires TTL after its last message; Redis removes it
// once the room is quiet that long.
func TestRedisKeyExpires(t *testing.T) {
	srv := redistest.Start(t)
	long := newRedisNode(t, srv, bus.Settings{Size: 10, TTL: time.Hour})
	c := long.client
	bustest.AppendN(t, long, "long", 2, 2)
	pttl, err := c.Do(t.Context(), c.B().Pttl().Key(StreamKey("long")).Build()).AsInt64()
	if err != nil || pttl <= time.Hour.Milliseconds()-bustest.WaitLimit.Milliseconds() || pttl > time.Hour.Milliseconds() {
		t.Fatalf("PTTL %s = %d, %v; want about an hour", StreamKey("long"), pttl, err)
	}

	const ttl = 300 * time.Millisecond
	n := newRedisNode(t, srv, bus.Settings{Size: 10, TTL: ttl})
	old := bustest.AppendN(t, n, "r", 2, 2)
	deadline := time.Now().Add(bustest.WaitLimit)
	for {
		n, err := c.Do(t.Context(), c.B().Exists().Key(StreamKey("r")).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still exists %v after a TTL of %v", StreamKey("r"), bustest.WaitLimit, ttl)
		}
		time.Sleep(50 * time.Millisecond)
	}
	bustest.WantAfter(t, n, "r", old[1].ID, nil, 10)
	fresh := bustest.AppendN(t, n, "r", 1, 1)
	if fresh[0].ID <= old[1].ID {
		t.Fatalf("id after expiry %s not above %s", fresh[0].ID, old[1].ID)
	}
	bustest.WantAfter(t, n, "r", old[1].ID, fresh, 10)
}

// MAXLEN ~ keeps at least Size entries and trims the rest in whole nodes;
// Size 0 keeps a stream with no entries, which still numbers them.
func TestRedisStreamLength(t *testing.T) {
	srv := redistest.Start(t)
	xlen := func(c rueidis.Client, room string) int64 {
		n, err := c.Do(t.Context(), c.B().Xlen().Key(StreamKey(room)).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := newRedisNode(t, srv, bus.Settings{Size: 5, TTL: time.Hour})
	bustest.AppendN(t, n, "r", 20, 20)
	if got := xlen(n.client, "r"); got != 20 {
		t.Errorf("XLEN after 20 appends, size 5 = %d; MAXLEN ~ trims whole nodes only", got)
	}
	bustest.AppendN(t, n, "r", 480, 60)
	if got := xlen(n.client, "r"); got < 5 || got >= 500 {
		t.Errorf("XLEN after 500 appends, size 5 = %d; want trimmed, at least 5", got)
	}

	z := newRedisNode(t, srv, bus.Settings{Size: 0, TTL: time.Hour})
	all := bustest.AppendN(t, z, "z", 5, 2)
	if got := xlen(z.client, "z"); got != 0 {
		t.Errorf("XLEN at size 0 = %d", got)
	}
	bustest.WantIncreasing(t, "z", all)
}

// Consecutive drafts of one room go in one script call, at most maxRun
// long; another room starts a new run.
func TestRoomRuns(t *testing.T) {
	d := func(room string) bus.Draft { return bus.Draft{Room: room} }
	drafts := []bus.Draft{d("a"), d("a"), d("b"), d("a")}
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

// BenchmarkRedisAppend: one room, one draft per call, one round trip each,
// against a local redis-server.
func BenchmarkRedisAppend(b *testing.B) {
	srv := redistest.Start(b)
	n := newRedisNode(b, srv, bus.Settings{Size: 200, TTL: time.Hour})
	ts := time.Now().UnixMilli()
	frame, at := protocol.DeliveryDraft("bench", "user-bench", "a message of a typical length, some forty bytes", nil, ts)
	b.ReportAllocs()
	for b.Loop() {
		// a stored frame must not be reused: a fresh one on every call
		d := []bus.Draft{{Room: "bench", At: ts, Frame: append([]byte(nil), frame...), IDAt: at}}
		if _, errs := n.Append(b.Context(), d); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}
