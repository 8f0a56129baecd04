package redisbus

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// startClusterBus returns a started bus on a cluster client of c, and its
// sharded transport.
func startClusterBus(t *testing.T, c *redistest.Cluster, rec *redis.Reconnects) (*Bus, *sharded) {
	t.Helper()
	b := start(t, New(c.Client(t), testSettings, redis.NewStats(), rec, discardLogger()))
	shards, ok := b.transport.(*sharded)
	if !ok {
		t.Fatalf("the bus chose %T on a cluster client, not sharded Pub/Sub", b.transport)
	}
	return b, shards
}

// roomPerMaster finds, for each master, a room whose slot it serves.
func roomPerMaster(t *testing.T, c *redistest.Cluster, prefix string) map[string]string {
	t.Helper()
	rooms := map[string]string{} // master ID -> room
	for i := 0; len(rooms) < len(c.Masters()); i++ {
		if i == 1000 {
			t.Fatalf("no room for every master after 1000 tries: %v", rooms)
		}
		room := fmt.Sprintf("%s%d", prefix, i)
		if m := c.MasterOf(t, ShardChannel(room)); rooms[m.ID] == "" {
			rooms[m.ID] = room
		}
	}
	return rooms
}

// shardChannels is PUBSUB SHARDCHANNELS on master m alone.
func shardChannels(t *testing.T, c *redistest.Cluster, m redistest.Node) []string {
	t.Helper()
	master := c.NodeClient(t, m)
	chs, err := master.Do(t.Context(), master.B().PubsubShardchannels().Build()).AsStrSlice()
	if err != nil {
		t.Fatalf("PUBSUB SHARDCHANNELS on %s: %v", m.Addr(), err)
	}
	slices.Sort(chs)
	return chs
}

// runningShards counts the goroutines holding a room's sharded
// subscription, in every bus of this process.
func runningShards() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "redisbus.(*sharded).run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestClusterBus: what sharded Pub/Sub adds to the contract
// (TestClusterContract). It runs alone, as it counts the process's room
// goroutines.
func TestClusterBus(t *testing.T) {
	c := redistest.StartCluster(t)

	t.Run("each room's channel on the master that owns it", func(t *testing.T) {
		b, _ := startClusterBus(t, c, nil)
		rooms := roomPerMaster(t, c, "spread-")
		recs := map[string]*bustest.Recorder{}
		var cancels []func()
		for _, room := range rooms {
			recs[room] = bustest.NewRecorder()
			cancels = append(cancels, bustest.Subscribe(t, b, room, recs[room]))
		}
		for _, m := range c.Masters() {
			want := []string{ShardChannel(rooms[m.ID])}
			if got := shardChannels(t, c, m); !slices.Equal(got, want) {
				t.Errorf("PUBSUB SHARDCHANNELS on %s: %q, want %q", m.Addr(), got, want)
			}
		}
		for _, room := range rooms {
			bustest.Publish(t, b, room, "to-"+room)
		}
		for _, room := range rooms {
			recs[room].WaitFor(t, "to-"+room)
			recs[room].Want(t, room, "to-"+room)
		}
		for _, cancel := range cancels {
			cancel()
		}
		for _, m := range c.Masters() {
			eventually(t, 5*time.Second, "no shard channels left on "+m.Addr(), func() bool {
				return len(shardChannels(t, c, m)) == 0
			})
		}
	})

	t.Run("no goroutine after the last room leaves", func(t *testing.T) {
		b, shards := startClusterBus(t, c, nil)
		before := runningShards()
		var cancels []func()
		for i := range 30 {
			cancels = append(cancels, b.Subscribe(t.Context(), fmt.Sprintf("many-%d", i), func(bus.Message) {}))
		}
		if got := runningShards(); got != before+30 {
			t.Errorf("%d room goroutines with 30 rooms, want %d", got, before+30)
		}
		for _, cancel := range cancels {
			cancel()
		}
		eventually(t, 5*time.Second, "every room goroutine ended", func() bool { return runningShards() == before })
		shards.mu.Lock()
		left := len(shards.rooms) + len(shards.ending)
		shards.mu.Unlock()
		if left != 0 {
			t.Errorf("%d rooms still held after every subscriber left", left)
		}
	})
}

// TestClusterRelinkTellsReconnects kills the master of several rooms: once
// they are subscribed again on the promoted replica, the reconnect
// notifier is told, and not before the loss.
func TestClusterRelinkTellsReconnects(t *testing.T) {
	c := redistest.StartCluster(t)
	rec := redis.NewReconnects()
	var told atomic.Int32
	rec.Subscribe(func() { told.Add(1) })
	b, _ := startClusterBus(t, c, rec)

	old := c.Masters()[0]
	var rooms []string
	for i := 0; len(rooms) < 3; i++ {
		if i == 1000 {
			t.Fatal("no 3 rooms on one master after 1000 tries")
		}
		if room := fmt.Sprintf("relink-%d", i); c.MasterOf(t, ShardChannel(room)).ID == old.ID {
			rooms = append(rooms, room)
		}
	}
	var back atomic.Int32
	for _, room := range rooms {
		cancel := b.Subscribe(t.Context(), room, func(m bus.Message) {
			if m.Link == bus.LinkBack {
				back.Add(1)
			}
		})
		t.Cleanup(cancel)
	}
	if n := told.Load(); n != 0 {
		t.Fatalf("told %d times before any loss", n)
	}
	c.Kill(old)
	c.WaitFailover(t, old)
	eventually(t, 20*time.Second, "every room back", func() bool { return back.Load() >= int32(len(rooms)) })
	eventually(t, 5*time.Second, "the notifier told", func() bool { return told.Load() >= 1 })
	// Rooms come back when their own retries reach the promoted replica,
	// which under load may spread past one burst: how many bursts that made
	// is logged, not checked (TestDebounce checks the coalescing).
	t.Logf("told %d times for one failover of %d rooms", told.Load(), len(rooms))
}
