package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// Cluster is a Redis Cluster of redis-server processes on loopback ports,
// each with its own client port and cluster bus port.
type Cluster struct {
	opt   ClusterOptions
	procs []*proc // in start order; redis-cli made the first opt.Masters masters

	mu    sync.Mutex
	nodes []Node // the topology as last agreed by every live node
}

type proc struct {
	port int
	cmd  *exec.Cmd
	dead bool
	conn rueidis.Client // to this node alone, opened on first use
}

// Node is one node of the cluster as last observed.
type Node struct {
	ID     string
	Port   int
	Master string   // the ID of the master it replicates; "" for a master
	Slots  [][2]int // the slot ranges a master serves, both ends included
}

// Addr is host:port of the node.
func (n Node) Addr() string { return addr(n.Port) }

// ClusterOptions shape LaunchCluster's cluster.
type ClusterOptions struct {
	Dir         string        // node configs, logs and pid files; must exist
	Masters     int           // 3 when 0; redis-cli needs at least 3
	Replicas    int           // per master
	NodeTimeout time.Duration // cluster-node-timeout; 2s when 0
	// Detach puts each node in its own session with a pid file
	// redis-<port>.pid in Dir (and its log in redis-<port>.log), so
	// the nodes outlive this process: call Close, not Stop, to leave them.
	Detach bool
}

// StartCluster launches 3 masters with a replica each (node timeout 2s),
// joins them into a cluster, waits until every node reports it healthy and
// stops every node when the test ends, failed or not. Without redis-server
// or redis-cli the test is skipped, or fails under REQUIRE_REDIS=1.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	Need(tb, "redis-server", "redis-cli")
	c, err := LaunchCluster(ClusterOptions{Dir: tb.TempDir(), Replicas: 1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Stop)
	return c
}

// LaunchCluster starts the nodes, runs redis-cli --cluster create and waits
// (bounded) until every node reports cluster_state:ok, the same topology
// and, on replicas, a live link to the master. On error it stops whatever
// it started.
func LaunchCluster(opt ClusterOptions) (*Cluster, error) {
	if opt.Dir == "" {
		return nil, errors.New("redis cluster: no directory for the nodes' files")
	}
	if opt.Masters == 0 {
		opt.Masters = 3
	}
	if opt.NodeTimeout == 0 {
		opt.NodeTimeout = 2 * time.Second
	}
	server, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, err
	}
	n := opt.Masters * (1 + opt.Replicas)
	ports, err := freePorts(2 * n) // a client port and a bus port each
	if err != nil {
		return nil, err
	}
	c := &Cluster{opt: opt}
	if err := c.launch(server, cli, ports[:n], ports[n:]); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redis cluster in %s: %w%s", opt.Dir, err, c.logTails())
	}
	return c, nil
}

func (c *Cluster) launch(server, cli string, ports, busPorts []int) error {
	var attr *syscall.SysProcAttr
	if c.opt.Detach {
		attr = &syscall.SysProcAttr{Setsid: true}
	}
	seeds := make([]string, len(ports))
	for i, port := range ports {
		extra := []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", c.file(port, "nodes-%d.conf"),
			"--cluster-port", strconv.Itoa(busPorts[i]),
			"--cluster-node-timeout", strconv.FormatInt(c.opt.NodeTimeout.Milliseconds(), 10),
			"--repl-diskless-sync-delay", "0", // replicas sync at once, not after 5s
			"--logfile", c.file(port, "redis-%d.log"),
		}
		if c.opt.Detach {
			extra = append(extra, "--pidfile", c.file(port, "redis-%d.pid"))
		}
		cmd, err := launch(server, port, c.opt.Dir, extra, attr)
		if err != nil {
			return err
		}
		c.procs = append(c.procs, &proc{port: port, cmd: cmd})
		seeds[i] = addr(port)
	}
	for _, port := range ports {
		if err := waitListen(port); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append(append([]string{"--cluster", "create"}, seeds...),
		"--cluster-replicas", strconv.Itoa(c.opt.Replicas), "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("redis-cli --cluster create: %w\n%s", err, out)
	}
	return poll(20*time.Second, "cluster ready", func() error {
		nodes, err := c.agreed()
		if err != nil {
			return err
		}
		masters := 0
		for _, n := range nodes {
			if n.Master != "" {
				continue
			}
			masters++
			replicas := 0
			for _, r := range nodes {
				if r.Master == n.ID {
					replicas++
				}
			}
			if replicas != c.opt.Replicas {
				return fmt.Errorf("master %s has %d replicas, want %d", n.Addr(), replicas, c.opt.Replicas)
			}
		}
		if masters != c.opt.Masters {
			return fmt.Errorf("%d masters, want %d", masters, c.opt.Masters)
		}
		for _, n := range nodes {
			if n.Master == "" {
				continue
			}
			info, err := c.do(n.Port, "INFO", "replication")
			if err != nil {
				return err
			}
			if s, _ := info.ToString(); !strings.Contains(s, "master_link_status:up") {
				return fmt.Errorf("replica %s: link to its master not up", n.Addr())
			}
		}
		c.setNodes(nodes)
		return nil
	})
}

func (c *Cluster) file(port int, format string) string {
	return filepath.Join(c.opt.Dir, fmt.Sprintf(format, port))
}

// URL is a REDIS_URL naming every node as a seed, the first as host and
// the others as addr parameters, which rueidis.ParseURL turns into the
// InitAddress list of a cluster client.
func (c *Cluster) URL() string {
	u := "redis://" + addr(c.procs[0].port)
	for i, p := range c.procs[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + addr(p.port)
	}
	return u
}

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

// Stop kills every node; it is safe to call more than once.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if !p.dead {
			p.stop()
		}
	}
}

// Close closes this value's own connections to the nodes and leaves the
// nodes running (see ClusterOptions.Detach).
func (c *Cluster) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.conn != nil {
			p.conn.Close()
			p.conn = nil
		}
	}
}

func (p *proc) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.dead = true
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
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

// logTails is the end of each node's log, for an error message.
func (c *Cluster) logTails() string {
	var b bytes.Buffer
	for _, p := range c.procs {
		data, err := os.ReadFile(c.file(p.port, "redis-%d.log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(&b, "\n--- %s log, last lines:\n%s", addr(p.port), strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
	return b.String()
}

func poll(timeout time.Duration, what string, try func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := try()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %v: %w", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
