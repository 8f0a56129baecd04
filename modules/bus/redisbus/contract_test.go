package redisbus

import (
	"testing"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// TestRedisContract runs the contract against a real redis-server, emptied
// before every case.
func TestRedisContract(t *testing.T) {
	srv := redistest.Start(t)
	admin := redistest.NewClient(t, srv.Addr())
	bustest.Run(t, func(t *testing.T, s bus.Settings) bus.Bus {
		flushAll(t, admin)
		return newRedisNode(t, srv, s)
	})
}

// TestClusterContract runs the contract on a Redis Cluster, emptied before
// every case: appends publish with SPUBLISH on the room's shard channel.
func TestClusterContract(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	bustest.Run(t, func(t *testing.T, s bus.Settings) bus.Bus {
		flushCluster(t, c)
		return newClusterNode(t, c, s)
	})
}

// newClusterNode starts a node on a cluster client of c.
func newClusterNode(tb testing.TB, c *redistest.Cluster, s bus.Settings) *node {
	tb.Helper()
	return newNode(tb, c.Client(tb), s)
}

// flushCluster empties every master of c.
func flushCluster(tb testing.TB, c *redistest.Cluster) {
	tb.Helper()
	for _, m := range c.Masters() {
		flushAll(tb, c.NodeClient(tb, m))
	}
}
