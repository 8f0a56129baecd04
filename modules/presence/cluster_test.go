package presence

import (
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// The store's contract holds on a Redis Cluster too: a room's keys share
// its hash tag, so each script touches one slot, on the master that owns
// the room.
func TestClusterStore(t *testing.T) {
	cluster := redistest.StartCluster(t)
	testStore(t, func(t *testing.T, ttl time.Duration) Store {
		c := cluster.Client(t)
		return NewRedis(func() rueidis.Client { return c }, ttl, redis.NewStats())
	})
}
