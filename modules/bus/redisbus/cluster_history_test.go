package redisbus

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// TestClusterAppendOnTheRoomsShard: a room's history and its messages live
// on the master that serves the room's slot, for rooms on every master.
func TestClusterAppendOnTheRoomsShard(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	n := newClusterNode(t, c, bus.Settings{Size: 100, TTL: time.Hour})
	rooms := map[string]string{} // master ID -> room
	for i := 0; len(rooms) < len(c.Masters()); i++ {
		room := "shard-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if m := c.MasterOf(t, StreamKey(room)); rooms[m.ID] == "" {
			rooms[m.ID] = room
		}
	}
	for _, m := range c.Masters() {
		room := rooms[m.ID]
		if got := c.MasterOf(t, ShardChannel(room)); got.ID != m.ID {
			t.Fatalf("room %s: channel on %s, history on %s", room, got.Addr(), m.Addr())
		}
		r := bustest.Listen(t, n, room)
		sent := bustest.AppendMsgs(t, n, bustest.NewMsg(room), bustest.NewMsg(room), bustest.NewMsg(room))
		bustest.WantPublished(t, "room "+room, r.WaitID(t, sent[len(sent)-1].ID), sent)
		master := c.NodeClient(t, m)
		length, err := master.Do(t.Context(), master.B().Xlen().Key(StreamKey(room)).Build()).AsInt64()
		if err != nil || length != int64(len(sent)) {
			t.Errorf("XLEN %s on %s: %d, %v; want %d", StreamKey(room), m.Addr(), length, err, len(sent))
		}
		chs, err := master.Do(t.Context(), master.B().PubsubShardchannels().Build()).AsStrSlice()
		if err != nil || !slices.Contains(chs, ShardChannel(room)) {
			t.Errorf("PUBSUB SHARDCHANNELS on %s: %q, %v; want %s among them", m.Addr(), chs, err, ShardChannel(room))
		}
	}
}

// filler is a room's subscriber that fills the gaps its bus reports from
// history, as the hub does: from LinkLost it holds live messages, and on
// LinkBack it reads history after the last id it delivered, delivers what
// it missed, then what it held. delivered is every id in delivery order.
type filler struct {
	t       testing.TB
	history bus.Bus
	room    string

	mu         sync.Mutex
	delivered  []string
	lastID     string
	gap        *fillGap
	losts      int
	backs      int
	duplicates int
	filled     int // ids delivered from history
	lostAt     time.Time
	down       time.Duration // from the first LinkLost to the LinkBack after it
	fills      sync.WaitGroup
}

type fillGap struct {
	from                          string
	held                          []bus.Message
	filling, lostAgain, backAgain bool
}

func (f *filler) deliver(m bus.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case m.Link == bus.LinkLost:
		f.losts++
		if f.lostAt.IsZero() {
			f.lostAt = time.Now()
		}
		switch {
		case f.gap == nil:
			f.gap = &fillGap{from: f.lastID}
		case f.gap.filling:
			f.gap.lostAgain, f.gap.backAgain = true, false
		}
	case m.Link == bus.LinkBack:
		f.backs++
		if f.down == 0 && !f.lostAt.IsZero() {
			f.down = time.Since(f.lostAt)
		}
		switch {
		case f.gap == nil:
		case f.gap.filling:
			if f.gap.lostAgain {
				f.gap.backAgain = true
			}
		default:
			f.startFill(f.gap)
		}
	case m.ID == "":
	case f.gap != nil:
		f.gap.held = append(f.gap.held, m)
	default:
		f.take(m.ID)
	}
}

// take delivers id unless it was delivered already; f.mu is held.
func (f *filler) take(id string) {
	if id <= f.lastID {
		f.duplicates++
		return
	}
	f.lastID = id
	f.delivered = append(f.delivered, id)
}

// startFill reads the gap's history on its own goroutine, retrying while
// the cluster fails over; f.mu is held.
func (f *filler) startFill(g *fillGap) {
	g.filling = true
	f.fills.Add(1)
	go func() {
		defer f.fills.Done()
		var entries []bus.Entry
		for deadline := time.Now().Add(30 * time.Second); ; {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			es, _, err := f.history.After(ctx, f.room, g.from)
			cancel()
			if err == nil {
				entries = es
				break
			}
			if time.Now().After(deadline) {
				f.t.Errorf("gap fill of %s: %v", f.room, err)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, e := range entries {
			if e.ID > f.lastID {
				f.take(e.ID)
				f.filled++
			}
		}
		if g.lostAgain {
			f.gap = &fillGap{from: f.lastID, held: g.held}
			if g.backAgain {
				f.startFill(f.gap)
			}
			return
		}
		f.gap = nil
		for _, m := range g.held {
			if m.ID > f.lastID {
				f.take(m.ID)
			}
		}
	}()
}

// faultRun publishes to a room of the cluster from one node while another
// node's filler listens, runs fault mid-traffic, and checks that the
// filler got every id history holds, from its first on, once and in order,
// and that its bus told it LinkLost and LinkBack.
func faultRun(t *testing.T, c *redistest.Cluster, room string, fault func()) {
	s := bus.Settings{Size: 100000, TTL: time.Hour}
	sub := newClusterNode(t, c, s)
	pub := newClusterNode(t, c, s)
	f := &filler{t: t, history: sub, room: room}
	t.Cleanup(sub.Subscribe(t.Context(), room, f.deliver))

	stop := make(chan struct{})
	var published atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if _, err := bustest.TryAppend(ctx, pub, bustest.NewMsg(room)); err == nil {
				published.Add(1)
			}
			cancel()
		}
	})
	eventually(t, 10*time.Second, "traffic before the fault", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.delivered) >= 20
	})
	fault()
	before := published.Load()
	eventually(t, 30*time.Second, "traffic after the fault", func() bool { return published.Load() >= before+50 })
	eventually(t, 30*time.Second, "the filler back live", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.gap == nil && f.backs > 0
	})
	close(stop)
	wg.Wait()
	f.fills.Wait()

	// The truth: history once traffic stopped, read until the filler has
	// caught up with its newest entry.
	var truth []string
	eventually(t, 10*time.Second, "the filler caught up with history", func() bool {
		es, _, err := pub.Before(t.Context(), room, "", 100000)
		if err != nil {
			return false
		}
		truth = bustest.EntryIDs(es)
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(truth) > 0 && f.lastID == truth[len(truth)-1]
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	t.Logf("%d published, %d in history, %d delivered (%d from history), %d LinkLost, %d LinkBack (%v apart), %d duplicates dropped",
		published.Load(), len(truth), len(f.delivered), f.filled, f.losts, f.backs, f.down.Round(time.Millisecond), f.duplicates)
	if f.losts == 0 || f.backs == 0 {
		t.Errorf("LinkLost %d times, LinkBack %d times; want both", f.losts, f.backs)
	}
	if !slices.IsSorted(f.delivered) || len(slices.Compact(slices.Clone(f.delivered))) != len(f.delivered) {
		t.Errorf("delivered ids not strictly increasing")
	}
	got := map[string]bool{}
	for _, id := range f.delivered {
		got[id] = true
	}
	first := f.delivered[0]
	missing := 0
	for _, id := range truth {
		if id >= first && !got[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the %d ids in history from the first delivered on were never delivered", missing, len(truth))
	}
	// A write acknowledged by a killed master may never reach its replica:
	// it can be delivered live yet be missing from history. Report it only.
	held := map[string]bool{}
	for _, id := range truth {
		held[id] = true
	}
	extra := 0
	for _, id := range f.delivered {
		if !held[id] {
			extra++
		}
	}
	if extra > 0 {
		t.Logf("%d delivered ids are not in history (writes lost in the failover)", extra)
	}
}

// TestClusterSlotMigratedMidTraffic moves a busy room's slot to another
// master: the subscription follows it and the gap is filled from history.
func TestClusterSlotMigratedMidTraffic(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	const room = "migrating"
	from := c.MasterOf(t, StreamKey(room))
	to := c.Masters()[0]
	if to.ID == from.ID {
		to = c.Masters()[1]
	}
	faultRun(t, c, room, func() {
		c.MigrateSlot(t, c.KeySlot(t, StreamKey(room)), from, to)
		t.Logf("slot of %s moved from %s to %s", room, from.Addr(), to.Addr())
	})
	master := c.NodeClient(t, to)
	chs, err := master.Do(t.Context(), master.B().PubsubShardchannels().Build()).AsStrSlice()
	if err != nil || !slices.Contains(chs, ShardChannel(room)) {
		t.Errorf("PUBSUB SHARDCHANNELS on the new master %s: %q, %v", to.Addr(), chs, err)
	}
}

// TestClusterMasterKilledMidTraffic kills the master of a busy room: the
// subscription moves to the promoted replica and the gap is filled.
func TestClusterMasterKilledMidTraffic(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	const room = "failing"
	old := c.MasterOf(t, StreamKey(room))
	faultRun(t, c, room, func() {
		start := time.Now()
		c.Kill(old)
		promoted := c.WaitFailover(t, old)
		t.Logf("%s replaced %s after %v", promoted.Addr(), old.Addr(), time.Since(start).Round(time.Millisecond))
	})
}
