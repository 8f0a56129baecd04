package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rtserver/rt/cmd/internal/rtnode"
	"github.com/rtserver/rt/modules/redis"
)

// errNoRedis is the answer when redis-server is not on PATH and no -redis
// was given.
var errNoRedis = rtnode.ErrNoRedis

// redisCtl is the run's own connection to Redis, for the faults.
type redisCtl struct{ c *redis.Admin }

func dialRedis(ctx context.Context, url string) (*redisCtl, error) {
	c, err := redis.DialAdmin(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to Redis at %s: %w", redactURL(url), err)
	}
	return &redisCtl{c: c}, nil
}

// killPubSubCount closes every Pub/Sub connection Redis has: those of both
// nodes (and of anything else subscribed to this Redis, which is why -redis
// should name a Redis of its own). It returns how many it closed.
func (r *redisCtl) killPubSubCount(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n, err := r.c.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub")
	if err != nil {
		return 0, err
	}
	return n.AsInt64()
}

func (r *redisCtl) close() { r.c.Close() }

func redactURL(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "***" + raw[i:]
		}
	}
	return raw
}
