package rtnode

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	readyMax   = 20 * time.Second // bound on waiting for /readyz
	stopMax    = 15 * time.Second // graceful stop bound before SIGKILL
	logTailLen = 2048             // bytes of the server's log shown when it fails
)

// Options is how one node runs.
type Options struct {
	RedisURL string            // "" = embedded mode
	Env      map[string]string // on top of the pinned settings (see Env)
	ExtraEnv []string          // appended last, e.g. GOMAXPROCS for a pinned node
	// Port to listen on; 0 picks a free one. A restarted node passes its
	// old port so that clients find it where it was.
	Port int
	// Command starts bin; nil is exec.Command. A caller pinning the node to
	// a CPU wraps it in taskset here.
	Command func(bin string) *exec.Cmd
	Name    string               // in log lines: "server", "node 1"…
	Logf    func(string, ...any) // progress lines; nil = none
	// Args are appended to the command line: a binary other than rt (a
	// floor to compare with) takes its settings as flags.
	Args []string
	// ReadyTCP: the binary has no /readyz; it is ready once its port
	// accepts a TCP connection.
	ReadyTCP bool
}

// Node is one rt child process.
type Node struct {
	Name    string
	Port    int
	cmd     *exec.Cmd
	dir     string        // temp dir with the log
	logPath string        // the server's stdout and stderr, shown on failure
	exited  chan struct{} // closed when the child has been reaped
	logf    func(string, ...any)
}

// Start starts the binary bin and returns once /readyz answers 200.
func Start(ctx context.Context, bin string, o Options) (*Node, error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	port := o.Port
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "rt-node-")
	if err != nil {
		return nil, err
	}
	n := &Node{Name: cmp.Or(o.Name, "server"), Port: port, dir: dir, logPath: filepath.Join(dir, "server.log"),
		exited: make(chan struct{}), logf: logf}
	logFile, err := os.Create(n.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	if o.Command != nil {
		n.cmd = o.Command(bin)
	} else {
		n.cmd = exec.Command(bin)
	}
	n.cmd.Args = append(n.cmd.Args, o.Args...)
	n.cmd.Env = append(Env(port, o.RedisURL, o.Env), o.ExtraEnv...)
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	n.cmd.SysProcAttr = ChildAttr() // the child dies with us, even on a crash
	if err := n.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { _ = n.cmd.Wait(); close(n.exited) }()
	logf("%s: pid %d on %s:%d (%s mode)", n.Name, n.Pid(), Loopback, port, ModeName(o.RedisURL))
	ready := n.waitReady
	if o.ReadyTCP {
		ready = n.waitListening
	}
	if err := ready(ctx); err != nil {
		tail := n.LogTail()
		n.Stop()
		return nil, fmt.Errorf("%s: %w; server log (tail): %s", n.Name, err, tail)
	}
	return n, nil
}

// Pid is the child's process id.
func (n *Node) Pid() int { return n.cmd.Process.Pid }

// Exited is closed once the child has exited and been reaped.
func (n *Node) Exited() <-chan struct{} { return n.exited }

func (n *Node) waitReady(ctx context.Context) error {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{DialContext: DialLoopback},
	}
	defer client.CloseIdleConnections()
	url := fmt.Sprintf("http://%s:%d/readyz", Loopback, n.Port)
	return n.waitFor(ctx, "ready", func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitListening waits until the port accepts a TCP connection, for a
// binary without /readyz.
func (n *Node) waitListening(ctx context.Context) error {
	addr := net.JoinHostPort(Loopback, strconv.Itoa(n.Port))
	return n.waitFor(ctx, "listening", func() bool {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		c, err := DialLoopback(dctx, "tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// waitFor asks ok every 50 ms until it says yes, the child exits, ctx
// ends or readyMax passes; what names the state in the error.
func (n *Node) waitFor(ctx context.Context, what string, ok func() bool) error {
	deadline := time.Now().Add(readyMax)
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			return fmt.Errorf("server exited before it was %s: %v", what, n.cmd.ProcessState)
		default:
		}
		if ok() {
			return nil
		}
		if err := Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("server not %s within %s", what, readyMax)
}

// Stop sends SIGTERM so the server drains as in production, and SIGKILL if
// it has not exited within stopMax; then removes the temp dir. It logs
// what the server wrote: nodes log at warn level, so it is worth a look.
func (n *Node) Stop() {
	defer os.RemoveAll(n.dir)
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
		n.logf("%s: pid %d stopped (%v)", n.Name, n.Pid(), n.cmd.ProcessState)
	case <-time.After(stopMax):
		_ = n.cmd.Process.Kill()
		<-n.exited
		n.logf("%s: pid %d killed after %s without exiting on SIGTERM", n.Name, n.Pid(), stopMax)
	}
	if tail := strings.TrimSpace(n.LogTail()); tail != "" {
		n.logf("%s: pid %d logged (tail):\n%s", n.Name, n.Pid(), tail)
	}
}

// LogBytes is how much the server has written to its stdout and stderr so
// far: what its log costs the disk.
func (n *Node) LogBytes() (int64, error) {
	fi, err := os.Stat(n.logPath)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// LogTail is the last bytes the server wrote.
func (n *Node) LogTail() string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > logTailLen {
		b = b[len(b)-logTailLen:]
	}
	return string(b)
}

// Sleep waits d unless ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
