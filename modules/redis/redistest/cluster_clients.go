package redistest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// Do sends one command to node n alone (no redirects) and returns its
// reply.
func (c *Cluster) Do(n Node, args ...string) (rueidis.RedisMessage, error) {
	return c.do(n.Port, args...)
}

// Client is a rueidis cluster client built from URL, closed when the test
// ends.
func (c *Cluster) Client(tb testing.TB) rueidis.Client {
	tb.Helper()
	opt, err := rueidis.ParseURL(c.URL())
	if err != nil {
		tb.Fatal(err)
	}
	opt.DisableCache = true
	client, err := rueidis.NewClient(opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(client.Close)
	if client.Mode() != rueidis.ClientModeCluster {
		tb.Fatalf("%s: rueidis made a %v client, not a cluster client", c.URL(), client.Mode())
	}
	return client
}

// NodeClient is a client of node n alone (no redirects), closed when the
// test ends.
func (c *Cluster) NodeClient(tb testing.TB, n Node) rueidis.Client {
	tb.Helper()
	client, err := nodeClient(n.Port)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(client.Close)
	return client
}

// do sends one command to the node on port and returns its reply.
func (c *Cluster) do(port int, args ...string) (rueidis.RedisMessage, error) {
	c.mu.Lock()
	var p *proc
	for _, q := range c.procs {
		if q.port == port {
			p = q
		}
	}
	if p == nil || p.dead {
		c.mu.Unlock()
		return rueidis.RedisMessage{}, fmt.Errorf("no live node on %s", addr(port))
	}
	if p.conn == nil {
		conn, err := nodeClient(port)
		if err != nil {
			c.mu.Unlock()
			return rueidis.RedisMessage{}, err
		}
		p.conn = conn
	}
	conn := p.conn
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := conn.Do(ctx, conn.B().Arbitrary(args...).Build()).ToMessage()
	if err != nil {
		err = fmt.Errorf("%s on %s: %w", args[0], addr(port), err)
	}
	return m, err
}

// doAny sends one command to the first live node.
func (c *Cluster) doAny(args ...string) (rueidis.RedisMessage, error) {
	c.mu.Lock()
	port := 0
	for _, p := range c.procs {
		if !p.dead {
			port = p.port
			break
		}
	}
	c.mu.Unlock()
	return c.do(port, args...)
}

func nodeClient(port int) (rueidis.Client, error) {
	opt := rueidis.ClientOption{
		InitAddress:       []string{addr(port)},
		ForceSingleClient: true,
		DisableCache:      true,
		DisableRetry:      true,
	}
	opt.Dialer.Timeout = 2 * time.Second
	return rueidis.NewClient(opt)
}
