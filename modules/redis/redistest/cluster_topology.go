package redistest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Masters are the masters serving slots, by port, as last observed: by
// StartCluster, Kill, WaitFailover or MigrateSlot.
func (c *Cluster) Masters() []Node {
	return c.filter(func(n Node) bool { return n.Master == "" })
}

// Replicas are the replicas, by port, as last observed (see Masters).
func (c *Cluster) Replicas() []Node {
	return c.filter(func(n Node) bool { return n.Master != "" })
}

func (c *Cluster) filter(keep func(Node) bool) []Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Node
	for _, n := range c.nodes {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

// KeySlot is the hash slot of key (CLUSTER KEYSLOT).
func (c *Cluster) KeySlot(tb testing.TB, key string) int {
	tb.Helper()
	slot, err := c.Slot(key)
	if err != nil {
		tb.Fatal(err)
	}
	return slot
}

// Slot is KeySlot for callers without a testing.TB.
func (c *Cluster) Slot(key string) (int, error) {
	m, err := c.doAny("CLUSTER", "KEYSLOT", key)
	if err != nil {
		return 0, err
	}
	slot, err := m.AsInt64()
	return int(slot), err
}

// MasterOf is the master that serves key's slot now.
func (c *Cluster) MasterOf(tb testing.TB, key string) Node {
	tb.Helper()
	return c.MasterOfSlot(tb, c.KeySlot(tb, key))
}

// MasterOfSlot is the master that serves slot now, as CLUSTER SLOTS on a
// live node reports it.
func (c *Cluster) MasterOfSlot(tb testing.TB, slot int) Node {
	tb.Helper()
	n, err := c.SlotMaster(slot)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// SlotMaster is MasterOfSlot for callers without a testing.TB.
func (c *Cluster) SlotMaster(slot int) (Node, error) {
	m, err := c.doAny("CLUSTER", "SLOTS")
	if err != nil {
		return Node{}, err
	}
	ranges, _ := m.ToArray()
	for _, r := range ranges {
		// [first, last, [ip, port, id, ...], replicas...]
		v, _ := r.ToArray()
		if len(v) < 3 {
			continue
		}
		first, _ := v[0].AsInt64()
		last, _ := v[1].AsInt64()
		if int64(slot) < first || int64(slot) > last {
			continue
		}
		master, _ := v[2].ToArray()
		if len(master) < 3 {
			break
		}
		port, _ := master[1].AsInt64()
		id, _ := master[2].ToString()
		for _, n := range c.Masters() {
			if n.ID == id {
				return n, nil
			}
		}
		return Node{ID: id, Port: int(port)}, nil
	}
	return Node{}, fmt.Errorf("no master serves slot %d", slot)
}

func (c *Cluster) setNodes(nodes []Node) {
	c.mu.Lock()
	c.nodes = nodes
	c.mu.Unlock()
}

// agreed returns the topology every live node reports, once each reports
// cluster_state:ok and the same live nodes, roles and slots, with none of
// them failing or joining.
func (c *Cluster) agreed() ([]Node, error) {
	var first []Node
	var firstPort int
	dead := map[int]bool{}
	c.mu.Lock()
	for _, p := range c.procs {
		dead[p.port] = p.dead
	}
	c.mu.Unlock()
	for _, p := range c.procs {
		if dead[p.port] {
			continue
		}
		info, err := c.do(p.port, "CLUSTER", "INFO")
		if err != nil {
			return nil, err
		}
		if s, _ := info.ToString(); !strings.Contains(s, "cluster_state:ok") {
			return nil, fmt.Errorf("%s: cluster_state is not ok", addr(p.port))
		}
		m, err := c.do(p.port, "CLUSTER", "NODES")
		if err != nil {
			return nil, err
		}
		text, _ := m.ToString()
		text = strings.TrimPrefix(text, "txt:") // a RESP3 verbatim string keeps its format
		view, err := parseNodes(text, dead)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", addr(p.port), err)
		}
		if first == nil {
			first, firstPort = view, p.port
		} else if !reflect.DeepEqual(view, first) {
			return nil, fmt.Errorf("%s and %s disagree on the topology", addr(firstPort), addr(p.port))
		}
	}
	return first, nil
}

// parseNodes reads CLUSTER NODES, leaving out the nodes on dead ports, by
// port. It is an error for any other node to be failing, joining or
// disconnected.
func parseNodes(text string, dead map[int]bool) ([]Node, error) {
	var nodes []Node
	for line := range strings.Lines(text) {
		// <id> <ip:port@bus[,host]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		hostport, _, _ := strings.Cut(f[1], "@")
		port, err := strconv.Atoi(hostport[strings.LastIndexByte(hostport, ':')+1:])
		if err != nil {
			return nil, fmt.Errorf("CLUSTER NODES line %q: %w", line, err)
		}
		if dead[port] {
			continue
		}
		for flag := range strings.SplitSeq(f[2], ",") {
			switch flag {
			case "fail", "fail?", "handshake", "noaddr":
				return nil, fmt.Errorf("node %s is %s", addr(port), flag)
			}
		}
		if f[7] != "connected" {
			return nil, fmt.Errorf("node %s is %s", addr(port), f[7])
		}
		n := Node{ID: f[0], Port: port}
		if f[3] != "-" {
			n.Master = f[3]
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue // a slot being imported or migrated
			}
			lo, hi, _ := strings.Cut(s, "-")
			if hi == "" {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("CLUSTER NODES slots %q", s)
			}
			n.Slots = append(n.Slots, [2]int{a, b})
		}
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, func(a, b Node) int { return a.Port - b.Port })
	return nodes, nil
}
