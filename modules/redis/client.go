// Package redis owns this process's connection to Redis (redis mode only).
//
// The app assembles this module in redis mode only. The connection opens
// when the app is assembled, with a PING, so an unreachable Redis stops the
// start with an error naming REDIS_URL (for a Redis Cluster: CLUSTER INFO
// on every node, and a cluster that is not cluster_state:ok stops the start
// too). Every module that uses Redis is then built on an open client, and
// can decide once, from its mode, how to use it. The client closes in
// OnStop, after every module that uses it has stopped.
package redis

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/health/check"
	"github.com/rtserver/rt/modules/metrics/collect"
	"github.com/rtserver/rt/modules/server/startup"
)

// Module provides the open rueidis.Client, its *Stats, the *Reconnects
// notifier, a readiness check, and on a Redis Cluster mode=cluster and the
// shard count for the start-up line.
var Module = fx.Module("redis",
	fx.Provide(Open, NewStats, NewReconnects, check.As(readiness), collect.As((*Stats).Collectors),
		startup.As(topology)),
)

// dialTimeout bounds connecting and the first PING or CLUSTER INFO.
const dialTimeout = 5 * time.Second

// Open connects to cfg.RedisURL and closes the client when the app stops.
func Open(lc fx.Lifecycle, cfg config.Config) (rueidis.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	client, err := Dial(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(client.Close))
	return client, nil
}

// Dial opens a client on url and checks that Redis answers (a cluster: that
// every node reports cluster_state:ok). Errors name url, password masked.
func Dial(ctx context.Context, url string) (rueidis.Client, error) {
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, fail(url, err)
	}
	opt.DisableCache = true // rt needs no client-side caching
	opt.Dialer.Timeout = dialTimeout
	client, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fail(url, err)
	}
	if client.Mode() == rueidis.ClientModeCluster {
		err = checkCluster(ctx, url, client)
	} else if err = client.Do(ctx, client.B().Ping().Build()).Error(); err != nil {
		err = fail(url, err)
	}
	if err != nil {
		client.Close()
		return nil, err
	}
	return client, nil
}

func fail(url string, err error) error {
	return fmt.Errorf("REDIS_URL=%s: Redis is not reachable: %w", config.MaskURL(url), err)
}

// checkCluster asks every node the cluster client knows for CLUSTER INFO:
// a node that does not report cluster_state:ok (slots unserved, a master
// down without a replica to replace it) fails the start, and so does a
// node that does not answer. A node's state is reported before an
// unreachable node, as it says more.
func checkCluster(ctx context.Context, url string, client rueidis.Client) error {
	nodes := client.Nodes()
	addrs := slices.Sorted(maps.Keys(nodes))
	var unreachable error
	for _, addr := range addrs {
		n := nodes[addr]
		info, err := n.Do(ctx, n.B().ClusterInfo().Build()).ToString()
		if err != nil {
			if unreachable == nil {
				unreachable = fmt.Errorf("cluster node %s: %w", addr, err)
			}
			continue
		}
		if state := clusterState(info); state != "ok" {
			return fmt.Errorf("REDIS_URL=%s: Redis Cluster is not healthy: node %s reports cluster_state:%s", config.MaskURL(url), addr, state)
		}
	}
	if unreachable != nil {
		return fail(url, unreachable)
	}
	return nil
}

// clusterState is the cluster_state field of CLUSTER INFO ("" if none).
// Over RESP3 the reply is a verbatim string whose first line starts with
// its format, "txt:".
func clusterState(info string) string {
	_, v, ok := strings.Cut(info, "cluster_state:")
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, "\n")
	return strings.TrimSpace(v)
}

func readiness(c rueidis.Client) check.Check {
	return check.Check{Name: "redis", Probe: func(ctx context.Context) error { return probe(ctx, c) }}
}
