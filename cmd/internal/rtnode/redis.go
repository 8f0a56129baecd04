package rtnode

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
)

// ErrNoRedis is the answer when redis-server is not on PATH and no -redis
// was given: the run needs a Redis, and says how to get one.
var ErrNoRedis = errors.New("redis-server not found on PATH: install it (Debian/Ubuntu: apt-get install redis-server), or give -redis redis://127.0.0.1:<port> of a Redis 7+ you run yourself")

// Redis is a redis-server a program started: loopback only,
// nothing saved, gone with its temp dir when the run ends.
type Redis struct {
	cmd    *exec.Cmd
	port   int
	dir    string
	exited chan struct{}
}

// StartRedis starts redis-server on a free loopback port and returns once
// it listens; logf gets one line naming it.
func StartRedis(ctx context.Context, logf func(string, ...any)) (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoRedis
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rt-redis-")
	if err != nil {
		return nil, err
	}
	r := &Redis{port: port, dir: dir, exited: make(chan struct{})}
	logPath := filepath.Join(dir, "redis.log")
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", Loopback,
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", logPath)
	r.cmd.SysProcAttr = ChildAttr() // gone with this process, even on a crash
	if err := r.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	// Listening is enough: the control client PINGs before anything else.
	addr := net.JoinHostPort(Loopback, strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := DialLoopback(ctx, "tcp", addr); err == nil {
			c.Close()
			logf("redis: redis-server pid %d on %s", r.cmd.Process.Pid, addr)
			return r, nil
		}
		select {
		case <-r.exited:
			log, _ := os.ReadFile(logPath)
			r.Stop()
			return nil, fmt.Errorf("redis-server exited at start: %s", strings.TrimSpace(string(log)))
		default:
		}
		if time.Now().After(deadline) || Sleep(ctx, 20*time.Millisecond) != nil {
			r.Stop()
			return nil, fmt.Errorf("redis-server did not listen on %s within 10s", addr)
		}
	}
}

// URL is the redis:// URL of the server.
func (r *Redis) URL() string {
	return "redis://" + net.JoinHostPort(Loopback, strconv.Itoa(r.port))
}

// Stop stops the server (SIGTERM, SIGKILL after 5 s) and removes its
// directory.
func (r *Redis) Stop() {
	defer os.RemoveAll(r.dir)
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}
