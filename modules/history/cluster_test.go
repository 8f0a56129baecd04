package history

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/bus"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// newClusterNode starts a node on a cluster client of c, like newRedisNode.
func newClusterNode(tb testing.TB, c *redistest.Cluster, s Settings) *redisNode {
	tb.Helper()
	client := c.Client(tb)
	stats := redis.NewStats()
	b := bus.NewRedis(func() rueidis.Client { return client }, stats, slog.New(slog.DiscardHandler))
	if err := b.Start(tb.Context()); err != nil {
		tb.Fatalf("bus start: %v", err)
	}
	tb.Cleanup(b.Stop)
	h := NewRedis(func() rueidis.Client { return client }, s, stats)
	warmUp(tb, b)
	return &redisNode{
		node:   &node{log: h, bus: b, setNow: func(now func() time.Time) { h.now = now }},
		client: client, stats: stats, hist: h,
	}
}

// flushCluster empties every master of c.
func flushCluster(tb testing.TB, c *redistest.Cluster) {
	tb.Helper()
	for _, m := range c.Masters() {
		flushAll(tb, c.NodeClient(tb, m))
	}
}

// TestClusterContract runs the contract on a Redis Cluster, emptied before
// every subtest: appends publish with SPUBLISH on the room's shard channel.
func TestClusterContract(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	testContract(t, func(t *testing.T, s Settings) *node {
		flushCluster(t, c)
		return newClusterNode(t, c, s).node
	})
}

// TestClusterAppendOnTheRoomsShard: a room's history and its messages live
// on the master that serves the room's slot, for rooms on every master.
func TestClusterAppendOnTheRoomsShard(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	n := newClusterNode(t, c, Settings{Size: 100, TTL: time.Hour})
	rooms := map[string]string{} // master ID -> room
	for i := 0; len(rooms) < len(c.Masters()); i++ {
		room := "shard-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if m := c.MasterOf(t, Key(room)); rooms[m.ID] == "" {
			rooms[m.ID] = room
		}
	}
	for _, m := range c.Masters() {
		room := rooms[m.ID]
		if got := c.MasterOf(t, bus.ShardChannel(room)); got.ID != m.ID {
			t.Fatalf("room %s: channel on %s, history on %s", room, got.Addr(), m.Addr())
		}
		r := listen(t, n.node, room)
		sent := appendMsgs(t, n.log, newMsg(room), newMsg(room), newMsg(room))
		wantPublished(t, "room "+room, r.waitID(t, sent[len(sent)-1].id), sent)
		node := c.NodeClient(t, m)
		length, err := node.Do(t.Context(), node.B().Xlen().Key(Key(room)).Build()).AsInt64()
		if err != nil || length != int64(len(sent)) {
			t.Errorf("XLEN %s on %s: %d, %v; want %d", Key(room), m.Addr(), length, err, len(sent))
		}
		chs, err := node.Do(t.Context(), node.B().PubsubShardchannels().Build()).AsStrSlice()
		if err != nil || !slices.Contains(chs, bus.ShardChannel(room)) {
			t.Errorf("PUBSUB SHARDCHANNELS on %s: %q, %v; want %s among them", m.Addr(), chs, err, bus.ShardChannel(room))
		}
	}
}
