// Package redis owns this process's connection to Redis (redis mode only).
//
// The app assembles this module in redis mode only. The connection opens in
// OnStart with a PING, so an unreachable Redis stops the start with an error
// naming REDIS_URL (for a Redis Cluster: CLUSTER INFO on every node, and a
// cluster that is not cluster_state:ok stops the start too), and closes in
// OnStop, after every module that uses it has stopped.
package redis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"rt/config"
	"rt/modules/health/check"
	"rt/modules/metrics/collect"
)

// Module provides *Client, its *Stats, the *Reconnects notifier and a
// readiness check.
var Module = fx.Module("redis",
	fx.Provide(New, NewStats, NewReconnects, check.As(readiness), collect.As((*Stats).Collectors)),
)

// dialTimeout bounds connecting and the first PING at start.
const dialTimeout = 5 * time.Second

// Client holds the rueidis client once started.
type Client struct {
	url    string
	client rueidis.Client
}

// New registers the open/close hooks; it dials nothing itself.
func New(lc fx.Lifecycle, cfg config.Config) *Client {
	c := &Client{url: cfg.RedisURL}
	lc.Append(fx.Hook{OnStart: c.open, OnStop: c.close})
	return c
}

// Get returns the client; nil before OnStart has opened it, which runs
// before any other module's start hook that uses Redis.
func (c *Client) Get() rueidis.Client { return c.client }

func (c *Client) open(ctx context.Context) error {
	opt, err := rueidis.ParseURL(c.url)
	if err != nil {
		return c.fail(err)
	}
	opt.DisableCache = true // rt needs no client-side caching
	opt.Dialer.Timeout = dialTimeout
	client, err := rueidis.NewClient(opt)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if client.Mode() == rueidis.ClientModeCluster {
		err = c.checkCluster(ctx, client)
	} else if err = client.Do(ctx, client.B().Ping().Build()).Error(); err != nil {
		err = c.fail(err)
	}
	if err != nil {
		client.Close()
		return err
	}
	c.client = client
	return nil
}

func (c *Client) fail(err error) error {
	return fmt.Errorf("REDIS_URL=%s: Redis is not reachable: %w", config.MaskURL(c.url), err)
}

// checkCluster asks every node the cluster client knows for CLUSTER INFO:
// a node that does not report cluster_state:ok (slots unserved, a master
// down without a replica to replace it) fails the start, and so does a
// node that does not answer. A node's state is reported before an
// unreachable node, as it says more.
func (c *Client) checkCluster(ctx context.Context, client rueidis.Client) error {
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
			return fmt.Errorf("REDIS_URL=%s: Redis Cluster is not healthy: node %s reports cluster_state:%s", config.MaskURL(c.url), addr, state)
		}
	}
	if unreachable != nil {
		return c.fail(unreachable)
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

func (c *Client) close(context.Context) error {
	if c.client != nil {
		c.client.Close()
	}
	return nil
}

func readiness(c *Client) check.Check {
	return check.Check{Name: "redis", Probe: func(ctx context.Context) error {
		if c.client == nil {
			return errors.New("redis not started")
		}
		return probe(ctx, c.client)
	}}
}
