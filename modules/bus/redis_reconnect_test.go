package bus

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// The bus tells the redis module's Reconnects after it is connected again,
// not on its first connect: presence relies on it to rewrite what a
// restarted Redis lost.
func TestRedisReconnectNotifies(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	rec := redis.NewReconnects()
	fired := make(chan struct{}, 1)
	rec.Subscribe(func() {
		select {
		case fired <- struct{}{}:
		default:
		}
	})
	b := NewRedis(func() rueidis.Client { return c }, redis.NewStats(), discardLogger())
	b.reconnects = rec
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	select {
	case <-fired:
		t.Fatal("Reconnected on the first connect")
	case <-time.After(200 * time.Millisecond):
	}

	srv.Restart(t)
	select {
	case <-fired:
	case <-time.After(waitLimit):
		t.Fatalf("no Reconnected within %s of a Redis restart", waitLimit)
	}
}
