// Command rtcluster starts a local Redis Cluster in the background, for
// trying rt against a cluster by hand, and stops it:
//
//	go run ./cmd/rtcluster [-replicas 1] start   # prints the REDIS_URL
//	go run ./cmd/rtcluster stop
//
// Three masters (and optionally a replica each) listen on free loopback
// ports. Their configs, logs and pid files live in -dir, by default
// rt/cluster in the user cache directory (~/.cache/rt/cluster), which stop
// removes. It needs redis-server and redis-cli on PATH.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rtserver/rt/modules/redis/redistest"
)

func main() {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := flag.String("dir", filepath.Join(cache, "github.com/rtserver/rt", "cluster"), "directory for the nodes' files")
	replicas := flag.Int("replicas", 0, "replicas per master")
	timeout := flag.Duration("node-timeout", 5*time.Second, "cluster-node-timeout: how long a silent node takes to count as failed")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: rtcluster [flags] start|stop")
		flag.PrintDefaults()
	}
	flag.Parse()
	switch flag.Arg(0) {
	case "start":
		err = start(*dir, *replicas, *timeout)
	case "stop":
		err = stop(*dir)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtcluster:", err)
		os.Exit(1)
	}
}

func start(dir string, replicas int, timeout time.Duration) error {
	urlFile := filepath.Join(dir, "url")
	if len(live(dir)) > 0 {
		url, err := os.ReadFile(urlFile)
		if err != nil {
			return fmt.Errorf("nodes run from %s but its url file is unreadable (stop them with: rtcluster stop): %w", dir, err)
		}
		fmt.Printf("A cluster already runs from %s\n", dir)
		printURL(strings.TrimSpace(string(url)))
		return nil
	}
	if err := os.RemoveAll(dir); err != nil { // what a stopped or failed run left
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	c, err := redistest.LaunchCluster(redistest.ClusterOptions{
		Dir: dir, Replicas: replicas, NodeTimeout: timeout, Detach: true,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := os.WriteFile(urlFile, []byte(c.URL()+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("Redis Cluster: %d masters, %d replicas, node files and logs in %s\n", len(c.Masters()), len(c.Replicas()), dir)
	printURL(c.URL())
	return nil
}

func printURL(url string) {
	fmt.Printf("REDIS_URL='%s'\n", url)
	fmt.Printf("Try rt on it: REDIS_URL='%s' go tool task run:redis\n", url)
	fmt.Println("Stop it: go tool task cluster:stop")
}

// stop ends the nodes (SIGTERM, then SIGKILL after 5s) and removes dir.
func stop(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		fmt.Printf("No cluster in %s\n", dir)
		return nil
	}
	nodes := live(dir)
	for _, n := range nodes {
		_ = syscall.Kill(n.pid, syscall.SIGTERM)
	}
	running := func() (left []node) {
		for _, n := range nodes {
			if n.alive() {
				left = append(left, n)
			}
		}
		return left
	}
	for deadline := time.Now().Add(5 * time.Second); len(running()) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	for _, n := range running() {
		_ = syscall.Kill(n.pid, syscall.SIGKILL)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	fmt.Printf("Stopped %d nodes, removed %s\n", len(nodes), dir)
	return nil
}

type node struct{ pid, port int }

// alive: the process is still the redis-server on that port, so a stale
// pid never names an unrelated process. redis-server titles itself
// "redis-server 127.0.0.1:<port> [cluster]"; a zombie has no cmdline.
func (n node) alive() bool {
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(n.pid) + "/cmdline")
	return strings.Contains(string(cmdline), "redis-server") && strings.Contains(string(cmdline), "127.0.0.1:"+strconv.Itoa(n.port))
}

// live returns the nodes that run, from the pid files redis-<port>.pid
// that LaunchCluster has the nodes write in dir.
func live(dir string) []node {
	files, _ := filepath.Glob(filepath.Join(dir, "redis-*.pid"))
	var nodes []node
	for _, f := range files {
		port, err1 := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "redis-"), ".pid"))
		data, err2 := os.ReadFile(f)
		pid, err3 := strconv.Atoi(strings.TrimSpace(string(data)))
		if n := (node{pid, port}); err1 == nil && err2 == nil && err3 == nil && n.alive() {
			nodes = append(nodes, n)
		}
	}
	return nodes
}
