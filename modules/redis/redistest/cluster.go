package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(2 * n) // a client port and a bus port each
		if err != nil {
			return nil, err
		}
		c := &Cluster{opt: opt}
		err = c.launch(server, cli, ports[:n], ports[n:])
		if err == nil {
			return c, nil
		}
		c.Stop()
		if !errors.Is(err, errPortTaken) || attempt == launchAttempts {
			return nil, fmt.Errorf("redis cluster in %s: %w%s", opt.Dir, err, c.logTails())
		}
	}
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
	for _, p := range c.procs {
		if err := waitServing(p.port, p.cmd); err != nil {
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
