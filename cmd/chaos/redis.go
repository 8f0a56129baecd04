package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rtserver/rt/cmd/internal/rtnode"
	"github.com/rtserver/rt/modules/redis"
)

// errNoRedis is the answer when redis-server is not on PATH and no -redis
// was given: the run needs a Redis, and says how to get one.
var errNoRedis = errors.New("redis-server not found on PATH: install it (Debian/Ubuntu: apt-get install redis-server), or give -redis redis://127.0.0.1:<port> of a Redis 7+ you run yourself")

// redisServer is the redis-server this run started: loopback only,
// nothing saved, gone with its temp dir when the run ends.
type redisServer struct {
	cmd    *exec.Cmd
	port   int
	dir    string
	exited chan struct{}
}

func startRedis(ctx context.Context) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	port, err := rtnode.FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rt-chaos-redis-")
	if err != nil {
		return nil, err
	}
	r := &redisServer{port: port, dir: dir, exited: make(chan struct{})}
	logPath := filepath.Join(dir, "redis.log")
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", rtnode.Loopback,
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", logPath)
	r.cmd.SysProcAttr = rtnode.ChildAttr() // gone with this process, even on a crash
	if err := r.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	// Listening is enough: the control client PINGs before anything else.
	addr := net.JoinHostPort(rtnode.Loopback, strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := rtnode.DialLoopback(ctx, "tcp", addr); err == nil {
			c.Close()
			logf("redis: redis-server pid %d on %s", r.cmd.Process.Pid, addr)
			return r, nil
		}
		select {
		case <-r.exited:
			log, _ := os.ReadFile(logPath)
			r.stop()
			return nil, fmt.Errorf("redis-server exited at start: %s", strings.TrimSpace(string(log)))
		default:
		}
		if time.Now().After(deadline) || rtnode.Sleep(ctx, 20*time.Millisecond) != nil {
			r.stop()
			return nil, fmt.Errorf("redis-server did not listen on %s within 10s", addr)
		}
	}
}

func (r *redisServer) url() string {
	return "redis://" + net.JoinHostPort(rtnode.Loopback, strconv.Itoa(r.port))
}

func (r *redisServer) stop() {
	defer os.RemoveAll(r.dir)
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}

// redisCtl is the run's own connection to Redis, for the faults.
type redisCtl struct{ c *redis.Admin }

func dialRedis(ctx context.Context, url string) (*redisCtl, error) {
	c, err := redis.DialAdmin(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to Redis at %s: %w", redactURL(url), err)
	}
	return &redisCtl{c: c}, nil
}

// killPubSubCount closes every Pub/Sub connection Redis has: those of both
// nodes (and of anything else subscribed to this Redis, which is why -redis
// should name a Redis of its own). It returns how many it closed.
func (r *redisCtl) killPubSubCount(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n, err := r.c.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub")
	if err != nil {
		return 0, err
	}
	return n.AsInt64()
}

func (r *redisCtl) close() { r.c.Close() }

func redactURL(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "***" + raw[i:]
		}
	}
	return raw
}
