package redis

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/server/startup"
)

// ShardsDown is the readiness failure of a Redis Cluster in which some
// masters serving slots do not answer: the rooms on them answer
// unavailable while rooms on the other shards keep working. /readyz names
// them (Details).
type ShardsDown struct{ Addrs []string }

func (e *ShardsDown) Error() string {
	return "Redis Cluster masters not answering: " + strings.Join(e.Addrs, ", ")
}

// Details is what /readyz adds to its answer: the masters that are away.
func (e *ShardsDown) Details() map[string]any { return map[string]any{"shards_down": e.Addrs} }

// probe is the readiness check: a PING to a single Redis; in a cluster, a
// PING to every master that serves slots, as CLUSTER NODES on any node that
// answers lists them.
func probe(ctx context.Context, c rueidis.Client) error {
	if c.Mode() != rueidis.ClientModeCluster {
		return c.Do(ctx, c.B().Ping().Build()).Error()
	}
	conns := c.Nodes()
	nodes, err := clusterNodes(ctx, conns)
	if err != nil {
		return err
	}
	var down []string
	for _, addr := range servingMasters(nodes) {
		conn, ok := conns[addr]
		if !ok || conn.Do(ctx, conn.B().Ping().Build()).Error() != nil {
			down = append(down, addr)
		}
	}
	if len(down) > 0 {
		slices.Sort(down)
		return &ShardsDown{Addrs: down}
	}
	return nil
}

// servingMasters reads CLUSTER NODES: the host:port of every master that
// has slots (a line's ninth field onwards), failed ones included: they are
// the shards that are away.
func servingMasters(nodes string) []string {
	var masters []string
	for _, line := range strings.Split(strings.TrimPrefix(nodes, "txt:"), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !slices.Contains(strings.Split(f[2], ","), "master") {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		masters = append(masters, addr)
	}
	return masters
}

// clusterNodes asks the nodes in address order for CLUSTER NODES until one
// answers: a dead master must not hide the others.
func clusterNodes(ctx context.Context, conns map[string]rueidis.Client) (string, error) {
	addrs := slices.Sorted(maps.Keys(conns))
	err := errors.New("no Redis Cluster node answers")
	for _, addr := range addrs {
		n := conns[addr]
		var nodes string
		if nodes, err = n.Do(ctx, n.B().ClusterNodes().Build()).ToString(); err == nil {
			return nodes, nil
		}
	}
	return "", err
}

// topology is what the start-up line says of Redis: on a Redis Cluster,
// mode=cluster and its shards (the masters serving slots); nothing on a
// single Redis, which the line already calls mode=redis.
func topology(c rueidis.Client) []startup.Attr {
	if c.Mode() != rueidis.ClientModeCluster {
		return nil
	}
	attrs := []startup.Attr{{Key: "mode", Value: "cluster"}}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	if nodes, err := clusterNodes(ctx, c.Nodes()); err == nil {
		attrs = append(attrs, startup.Attr{Key: "shards", Value: len(servingMasters(nodes))})
	}
	return attrs
}
