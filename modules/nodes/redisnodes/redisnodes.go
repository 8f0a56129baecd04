// Package redisnodes keeps the node records of package nodes in Redis, so
// that every node of a deployment lists every other.
//
// Keys (one hash tag, so that on a Redis Cluster they all live in one slot
// and every command below is served by one master, without SCAN):
//
//	rt:{nodes}             sorted set: node id → when its record expires, Unix ms
//	rt:{nodes}:node:<id>   the node's record as JSON, expiring after the TTL
//
// A record expires by itself when its node stops writing it (a crash), so
// the string key's TTL is what decides who is alive; the sorted set is only
// the index to list them by (ids whose record expired are skipped when
// read), pruned at each write of the ids that expired over a minute ago by
// the writer's clock. The minute covers clock skew between nodes: a skewed
// clock can keep a dead id in the index a little longer, never drop a live
// one. Each node's own TTL is its expiry, so nodes with other settings
// share the index.
package redisnodes

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/nodes"
)

// Module provides the Store and the Shards of redis mode, on the redis
// module's client.
var Module = fx.Module("nodes.redis",
	fx.Provide(
		func(c rueidis.Client) nodes.Store { return New(c) },
		func(c rueidis.Client) nodes.Shards {
			return func(ctx context.Context) (string, int, error) { return Shards(ctx, c) }
		},
	),
)

const (
	indexKey  = "rt:{nodes}"
	keyPrefix = "rt:{nodes}:node:"
	// pruneAfter is how long after its expiry an id leaves the index.
	pruneAfter = time.Minute
)

// Store is the Redis Store.
type Store struct{ c rueidis.Client }

// New is a Store on c, a single Redis or a cluster.
func New(c rueidis.Client) *Store { return &Store{c: c} }

// Put writes n's record with ttl, indexes it with its expiry, and prunes
// the index.
func (s *Store) Put(ctx context.Context, n nodes.Node, ttl time.Duration) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	now := time.Now()
	stale := strconv.FormatInt(now.Add(-pruneAfter).UnixMilli(), 10)
	b := s.c.B()
	for _, r := range s.c.DoMulti(ctx,
		b.Set().Key(keyPrefix+n.ID).Value(string(body)).Px(ttl).Build(),
		b.Zadd().Key(indexKey).ScoreMember().ScoreMember(float64(now.Add(ttl).UnixMilli()), n.ID).Build(),
		b.Zremrangebyscore().Key(indexKey).Min("-inf").Max("("+stale).Build(),
	) {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes id's record and its index entry.
func (s *Store) Remove(ctx context.Context, id string) error {
	b := s.c.B()
	for _, r := range s.c.DoMulti(ctx,
		b.Del().Key(keyPrefix+id).Build(),
		b.Zrem().Key(indexKey).Member(id).Build(),
	) {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}

// List reads the index, then every record it names in one MGET; expired
// ones are skipped, and so is a record that does not parse (a newer
// version's, say: it is listed once that node writes one this version reads).
func (s *Store) List(ctx context.Context) ([]nodes.Node, error) {
	ids, err := s.c.Do(ctx, s.c.B().Zrange().Key(indexKey).Min("0").Max("-1").Build()).AsStrSlice()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = keyPrefix + id
	}
	values, err := s.c.Do(ctx, s.c.B().Mget().Key(keys...).Build()).ToArray()
	if err != nil {
		return nil, err
	}
	var out []nodes.Node
	for _, v := range values {
		body, err := v.ToString()
		if err != nil { // nil: expired
			continue
		}
		var n nodes.Node
		if json.Unmarshal([]byte(body), &n) == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// Shards says whether c is a single Redis ("redis", 0) or a cluster
// ("cluster" and the number of shards serving slots, from CLUSTER SHARDS).
func Shards(ctx context.Context, c rueidis.Client) (string, int, error) {
	if c.Mode() != rueidis.ClientModeCluster {
		return "redis", 0, nil
	}
	shards, err := c.Do(ctx, c.B().ClusterShards().Build()).ToArray()
	if err != nil {
		return "cluster", 0, err
	}
	n := 0
	for _, sh := range shards {
		fields, err := sh.AsMap()
		if err != nil {
			continue
		}
		slots := fields["slots"]
		if list, err := slots.ToArray(); err == nil && len(list) > 0 {
			n++
		}
	}
	return "cluster", n, nil
}
