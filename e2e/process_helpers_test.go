package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A few tests need rt as a process of its own, to kill it with SIGKILL as
// a crash would: no stop hook runs, no socket is closed, nothing is
// flushed. They build the binary once per test run.

var built struct {
	once sync.Once
	path string
	err  error
}

// rtBinary builds rt's main package into a temp dir, once.
func rtBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "rt-e2e-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "rt")
		out, err := exec.Command("go", "build", "-o", built.path, "github.com/rtserver/rt").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// process is one rt started from the binary.
type process struct {
	cmd    *exec.Cmd
	addr   string
	log    string // its stdout and stderr
	exited chan struct{}
}

// startProcess runs rt with env (on top of a free port, the test secret and
// origin) and waits for /readyz. The test's end kills it if still running.
func startProcess(t *testing.T, env map[string]string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := &process{addr: fmt.Sprintf("127.0.0.1:%d", port), log: filepath.Join(t.TempDir(), "rt.log"), exited: make(chan struct{})}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	p.cmd = exec.Command(rtBinary(t))
	p.cmd.Env = []string{"HOST=127.0.0.1", fmt.Sprintf("PORT=%d", port), "JWT_SECRET=" + secret,
		"ALLOWED_ORIGINS=" + origin, "LOG_LEVEL=warn", "RATE_LIMIT=1000", "RATE_BURST=1000"}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)
	if err := p.waitReady(); err != nil {
		t.Fatalf("rt process: %v; log:\n%s", err, p.logText())
	}
	return p
}

func (p *process) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		select {
		case <-p.exited:
			return fmt.Errorf("exited before ready: %v", p.cmd.ProcessState)
		default:
		}
		if resp, err := http.Get("http://" + p.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ctx.Err()
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

func (p *process) wsURL(room string) string { return "ws://" + p.addr + "/ws/" + room }

func (p *process) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}
