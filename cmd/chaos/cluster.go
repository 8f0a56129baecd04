package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// cluster is the run's rt nodes, all on one Redis. A node keeps its port
// across a restart, so a client's home stays where it was; while a node is
// down its clients are sent to another.
type cluster struct {
	bin      string
	redisURL string
	env      map[string]string

	mu      sync.Mutex
	nodes   []*slot
	crashes []string // nodes that exited without being asked
}

type slot struct {
	name string
	port int
	node *rtnode.Node // nil while down
	up   bool         // taking clients: false from the moment a stop is decided
}

func newCluster(bin, redisURL string, env map[string]string, n int) *cluster {
	c := &cluster{bin: bin, redisURL: redisURL, env: env}
	for i := range n {
		c.nodes = append(c.nodes, &slot{name: fmt.Sprintf("node %d", i+1)})
	}
	return c
}

// start starts node i (on its old port when it had one) and returns once
// it is ready.
func (c *cluster) start(ctx context.Context, i int) error {
	c.mu.Lock()
	s := c.nodes[i]
	port := s.port
	c.mu.Unlock()
	n, err := rtnode.Start(ctx, c.bin, rtnode.Options{RedisURL: c.redisURL, Env: c.env, Port: port, Name: s.name, Logf: logf})
	if err != nil {
		return err
	}
	c.mu.Lock()
	s.node, s.port, s.up = n, n.Port, true
	c.mu.Unlock()
	go c.watch(s, n)
	return nil
}

// watch notes a node that exits while it should be up: a crash is a
// finding of the run, not a fault it planned.
func (c *cluster) watch(s *slot, n *rtnode.Node) {
	<-n.Exited()
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.node == n && s.up {
		s.up, s.node = false, nil
		c.crashes = append(c.crashes, fmt.Sprintf("%s (pid %d) exited by itself; its log: %s", s.name, n.Pid(), n.LogTail()))
		logf("%s: pid %d exited by itself", s.name, n.Pid())
	}
}

// stop takes node i out of the pick first, so that its clients, closed
// with 1001, go elsewhere; then stops it with SIGTERM and waits.
func (c *cluster) stop(i int) (pid int) {
	c.mu.Lock()
	s := c.nodes[i]
	n := s.node
	s.up, s.node = false, nil
	c.mu.Unlock()
	if n == nil {
		return 0
	}
	n.Stop()
	return n.Pid()
}

// pick is the node a client whose home is home connects to: its home when
// up, else the next one up.
func (c *cluster) pick(home int) (node, port int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.nodes {
		i := (home + k) % len(c.nodes)
		if s := c.nodes[i]; s.up {
			return i, s.port, true
		}
	}
	return 0, 0, false
}

func (c *cluster) isUp(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i].up
}

func (c *cluster) pid(i int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.nodes[i].node; n != nil {
		return n.Pid()
	}
	return 0
}

// close stops every node still running.
func (c *cluster) close() {
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Go(func() { c.stop(i) })
	}
	wg.Wait()
}

func (c *cluster) crashed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.crashes...)
}
