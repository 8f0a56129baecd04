package redistest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Kill ends node n with SIGKILL, as a crash would; the cluster notices it
// after the node timeout. See WaitFailover.
func (c *Cluster) Kill(n Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.port == n.Port && !p.dead {
			p.stop()
		}
	}
	c.nodes = slices.DeleteFunc(c.nodes, func(m Node) bool { return m.Port == n.Port })
}

// WaitFailover waits, bounded, until a replica of the killed master old is
// promoted and every live node reports cluster_state:ok and the same
// topology, and returns the new master.
func (c *Cluster) WaitFailover(tb testing.TB, old Node) Node {
	tb.Helper()
	promoted, err := c.AwaitFailover(old, c.opt.NodeTimeout*5+5*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	return promoted
}

// AwaitFailover is WaitFailover for callers without a testing.TB, bounded
// by timeout.
func (c *Cluster) AwaitFailover(old Node, timeout time.Duration) (Node, error) {
	heirs := c.filter(func(n Node) bool { return n.Master == old.ID })
	if len(heirs) == 0 {
		return Node{}, fmt.Errorf("master %s has no replica to fail over to", old.Addr())
	}
	var promoted Node
	err := poll(timeout, "failover of "+old.Addr(), func() error {
		nodes, err := c.agreed()
		if err != nil {
			return err
		}
		for _, n := range nodes {
			for _, h := range heirs {
				if n.ID == h.ID && n.Master == "" && len(n.Slots) > 0 {
					promoted = n
					c.setNodes(nodes)
					return nil
				}
			}
		}
		return errors.New("no replica promoted yet")
	})
	return promoted, err
}

// MigrateSlot moves slot and its keys from master from to master to:
// CLUSTER SETSLOT IMPORTING on to and MIGRATING on from, MIGRATE of the
// keys in batches, then SETSLOT NODE on to, from and the other masters. It
// returns once every live node agrees that to serves the slot.
func (c *Cluster) MigrateSlot(tb testing.TB, slot int, from, to Node) {
	tb.Helper()
	if _, err := c.MoveSlot(slot, from, to); err != nil {
		tb.Fatal(err)
	}
}

// MoveSlot is MigrateSlot for callers without a testing.TB; it returns how
// many keys it moved.
func (c *Cluster) MoveSlot(slot int, from, to Node) (keys int, err error) {
	s := strconv.Itoa(slot)
	steps := [][]string{
		{strconv.Itoa(to.Port), "CLUSTER", "SETSLOT", s, "IMPORTING", from.ID},
		{strconv.Itoa(from.Port), "CLUSTER", "SETSLOT", s, "MIGRATING", to.ID},
	}
	for _, step := range steps {
		port, _ := strconv.Atoi(step[0])
		if _, err := c.do(port, step[1:]...); err != nil {
			return keys, fmt.Errorf("%s on %s: %w", strings.Join(step[1:], " "), addr(port), err)
		}
	}
	for {
		m, err := c.do(from.Port, "CLUSTER", "GETKEYSINSLOT", s, "100")
		if err != nil {
			return keys, fmt.Errorf("CLUSTER GETKEYSINSLOT on %s: %w", from.Addr(), err)
		}
		batch, _ := m.AsStrSlice()
		if len(batch) == 0 {
			break
		}
		args := append([]string{"MIGRATE", "127.0.0.1", strconv.Itoa(to.Port), "", "0", "5000", "KEYS"}, batch...)
		if _, err := c.do(from.Port, args...); err != nil {
			return keys, fmt.Errorf("MIGRATE from %s to %s: %w", from.Addr(), to.Addr(), err)
		}
		keys += len(batch)
	}
	owners := []Node{to, from}
	for _, m := range c.Masters() {
		if m.ID != to.ID && m.ID != from.ID {
			owners = append(owners, m)
		}
	}
	for _, m := range owners {
		if _, err := c.do(m.Port, "CLUSTER", "SETSLOT", s, "NODE", to.ID); err != nil {
			return keys, fmt.Errorf("CLUSTER SETSLOT %s NODE on %s: %w", s, m.Addr(), err)
		}
	}
	return keys, poll(10*time.Second, "slot "+s+" on "+to.Addr(), func() error {
		nodes, err := c.agreed()
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if n.ID != to.ID {
				continue
			}
			for _, r := range n.Slots {
				if r[0] <= slot && slot <= r[1] {
					c.setNodes(nodes)
					return nil
				}
			}
		}
		return fmt.Errorf("slot %d not yet served by %s", slot, to.Addr())
	})
}
