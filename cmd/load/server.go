package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	loopback   = "127.0.0.1"
	jwtSecret  = "rt-load-test-secret-of-32-bytes-or-more" // as long as HS256 wants: no warning in the server's log
	origin     = "http://localhost:8000"
	buildMax   = 5 * time.Minute  // a cold build cache compiles every dependency
	readyMax   = 20 * time.Second // bound on waiting for /readyz
	stopMax    = 15 * time.Second // graceful stop bound before SIGKILL
	logTailLen = 2048             // bytes of the server's log shown when it fails
)

// server is the rt child process under test.
type server struct {
	cmd     *exec.Cmd
	port    int
	dir     string        // temp dir with the log
	logPath string        // the server's stdout and stderr, shown on failure
	exited  chan struct{} // closed when the child has been reaped
}

// serverOpts is how one server of a scenario runs.
type serverOpts struct {
	redisURL string
	env      map[string]string // on top of the pinned settings
	pin      pinning
}

// unset are settings of rt left at their defaults: they are removed from
// the inherited environment rather than given a value.
var unset = []string{"JWT_LEEWAY", "JWT_PUBLIC_KEY", "JWT_ISSUER", "JWT_AUDIENCE", "JWT_REQUIRE_EXP"}

// serverEnv pins every setting rt reads, so a variable exported in the
// caller's shell cannot change what is measured; extra overrides them.
func serverEnv(port int, redisURL string, extra map[string]string) []string {
	pinned := map[string]string{
		"HOST": loopback, "PORT": strconv.Itoa(port), "REDIS_URL": redisURL,
		"JWT_SECRET": jwtSecret, "JWT_ALG": "HS256", "ALLOWED_ORIGINS": origin,
		"SEND_QUEUE": "256", "HEARTBEAT_INTERVAL": "25", "IDLE_TIMEOUT": "70",
		"PRESENCE_TTL": "60", "MAX_FRAME_BYTES": "65536", "MAX_TEXT_BYTES": "4096",
		"WRITE_TIMEOUT": "10s",
		// The server's defaults; the fan-out scenarios raise them (see
		// fanoutLimits), since their senders are not the flood this guards.
		"RATE_LIMIT": "20", "RATE_BURST": "40", "RATE_WARNINGS": "10",
		"MAX_CONNS_PER_USER": "16", "MAX_CONNS": "0", "DEMO_PAGE": "false",
		"LOG_LEVEL": "warn", "LOG_FORMAT": "text",
	}
	maps.Copy(pinned, extra)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := pinned[k]; !ok && !slices.Contains(unset, k) {
			env = append(env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(pinned)) {
		env = append(env, k+"="+pinned[k])
	}
	return env
}

// fanoutLimits lifts the per-client flood guard for scenarios whose senders
// publish faster than a person types: they measure the fan-out, not the
// guard. perSecond is the most one sender is asked to send.
func fanoutLimits(perSecond float64) map[string]string {
	n := strconv.Itoa(max(1000, int(perSecond*2)))
	return map[string]string{"RATE_LIMIT": n, "RATE_BURST": n}
}

// build compiles rt from the module root into dir.
func build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "rt")
	return bin, buildServer(ctx, bin)
}

// startServer starts the binary bin on a free loopback port, returning
// once /readyz answers 200.
func startServer(ctx context.Context, bin string, o serverOpts) (*server, error) {
	dir, err := os.MkdirTemp("", "rt-load-server-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{port: port, dir: dir, logPath: filepath.Join(dir, "server.log"), exited: make(chan struct{})}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	s.cmd = o.pin.command(bin)
	s.cmd.Env = append(serverEnv(port, o.redisURL, o.env), o.pin.env()...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = childAttr() // the child dies with us, even on a crash
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	logf("server: pid %d on %s:%d (%s mode)", s.cmd.Process.Pid, loopback, port, modeName(o.redisURL))
	if err := s.waitReady(ctx); err != nil {
		tail := s.logTail()
		s.stop()
		return nil, fmt.Errorf("%w; server log (tail): %s", err, tail)
	}
	return s, nil
}

func buildServer(ctx context.Context, bin string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, buildMax)
	defer cancel()
	logf("server: go build -o %s . (in %s)", bin, root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the server: %w", err)
	}
	return nil
}

// moduleRoot walks up from the working directory to the first go.mod, so
// the tool works from anywhere inside the module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run inside the rt module")
		}
		dir = parent
	}
}

// freePort asks the kernel for an unused loopback port. Another process
// could take it before the server binds; the ready check would then fail.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *server) waitReady(ctx context.Context) error {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{DialContext: dialLoopback},
	}
	defer client.CloseIdleConnections()
	url := fmt.Sprintf("http://%s:%d/readyz", loopback, s.port)
	deadline := time.Now().Add(readyMax)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before it was ready: %v", s.cmd.ProcessState)
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("server not ready within %s", readyMax)
}

// stop sends SIGTERM so the server drains as in production, and SIGKILL if
// it has not exited within stopMax; then removes the temp dir.
func (s *server) stop() {
	defer os.RemoveAll(s.dir)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		logf("server: pid %d stopped (%v)", s.cmd.Process.Pid, s.cmd.ProcessState)
	case <-time.After(stopMax):
		_ = s.cmd.Process.Kill()
		<-s.exited
		logf("server: pid %d killed after %s without exiting on SIGTERM", s.cmd.Process.Pid, stopMax)
	}
	// It logs at warn level: whatever it wrote is worth a look.
	if tail := strings.TrimSpace(s.logTail()); tail != "" {
		logf("server: pid %d logged (tail):\n%s", s.cmd.Process.Pid, tail)
	}
}

func (s *server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > logTailLen {
		b = b[len(b)-logTailLen:]
	}
	return string(b)
}

func (s *server) rss() (uint64, error)            { return rssBytes(s.cmd.Process.Pid) }
func (s *server) cpuTime() (time.Duration, error) { return processCPUTime(s.cmd.Process.Pid) }

// dialLoopback is the only way this program opens a connection: it refuses
// any address that is not a loopback IP literal.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("refusing to connect to %q: only loopback is allowed", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// checkRedisURL accepts an empty URL (embedded mode) or a redis URL whose
// host is a loopback IP literal: the server must not reach anything else.
func checkRedisURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return fmt.Errorf("-redis must be a redis:// or rediss:// URL")
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-redis host %q refused: only a loopback IP (e.g. 127.0.0.1) is allowed", u.Hostname())
	}
	return nil
}

func modeName(redisURL string) string {
	if redisURL == "" {
		return "embedded"
	}
	return "redis"
}
