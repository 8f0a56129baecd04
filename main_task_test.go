package main

import (
	"bufio"
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// The tests below run the Taskfile's tasks as a reader does, with
// `go tool task`, each in a process group of its own that is killed when
// the test ends. The first `go tool task` on a machine compiles task, so the
// bound on reaching "listening" is generous; nothing here measures time.
const taskBound = 5 * time.Minute

// taskRun is one `go tool task <args>` in its own process group, with its
// output (stdout and stderr, interleaved as a terminal shows them) read
// line by line.
type taskRun struct {
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	out   bytes.Buffer
	done  chan struct{}
	err   error // cmd.Wait's, once done is closed
}

func startTask(t *testing.T, env []string, args ...string) *taskRun {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "task"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &taskRun{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		tr.err = cmd.Wait()
		w.Close()
		close(tr.done)
	}()
	go func() {
		defer close(tr.lines)
		s := bufio.NewScanner(r)
		for s.Scan() {
			tr.mu.Lock()
			tr.out.WriteString(s.Text() + "\n")
			tr.mu.Unlock()
			select {
			case tr.lines <- s.Text():
			default:
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever of the group is left
		<-tr.done
	})
	return tr
}

// output is everything printed so far.
func (tr *taskRun) output() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.out.String()
}

// waitLine returns the first line containing s, or false if the task ended
// first; it fails the test if taskBound passes first.
func (tr *taskRun) waitLine(t *testing.T, s string) (string, bool) {
	t.Helper()
	bound := time.After(taskBound)
	for {
		select {
		case l, ok := <-tr.lines:
			if !ok {
				<-tr.done
				return "", false
			}
			if strings.Contains(l, s) {
				return l, true
			}
		case <-bound:
			t.Fatalf("no %q within %v:\n%s", s, taskBound, tr.output())
		}
	}
}

// startListening starts a task that runs rt on a free port (env gets the
// port) and returns it with rt's "listening" line. A port taken by another
// process between freePort and rt's listen is tried again, with another.
func startListening(t *testing.T, env func(port string) []string, task string) (*taskRun, string, string) {
	t.Helper()
	for try := 1; ; try++ {
		port := freePort(t)
		tr := startTask(t, env(port), task)
		if l, ok := tr.waitLine(t, "msg=listening"); ok {
			return tr, l, port
		}
		if try == 3 || !strings.Contains(tr.output(), "address already in use") {
			t.Fatalf("the task ended (%v) before rt listened:\n%s", tr.err, tr.output())
		}
	}
}

// wait waits for the task to end and returns its exit code.
func (tr *taskRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-tr.done:
	case <-time.After(taskBound):
		t.Fatalf("the task did not end within %v:\n%s", taskBound, tr.output())
	}
	var exit *exec.ExitError
	if errors.As(tr.err, &exit) {
		return exit.ExitCode()
	}
	if tr.err != nil {
		t.Fatal(tr.err)
	}
	return 0
}

// attr reads key=value from a text log line.
func attr(line, key string) string {
	m := regexp.MustCompile(`(?:^| )` + regexp.QuoteMeta(key) + `=("[^"]*"|\S*)`).FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return strings.Trim(m[1], `"`)
}

// stoppedCleanly checks the end of a run stopped by a signal: exit 0, no
// "Failed", and rt's two shutdown lines in order.
func stoppedCleanly(t *testing.T, tr *taskRun) {
	t.Helper()
	code := tr.wait(t)
	out := tr.output()
	if code != 0 || strings.Contains(out, "Failed") {
		t.Fatalf("exit %d, want 0 and no \"Failed\":\n%s", code, out)
	}
	down, stopped := strings.Index(out, `msg="shutting down"`), strings.Index(out, "msg=stopped")
	if down < 0 || stopped < down {
		t.Errorf("want \"shutting down\" then \"stopped\":\n%s", out)
	}
}

// Ctrl+C in a terminal sends SIGINT to the foreground process group: go,
// task and rt. rt shuts down cleanly, and so the task ends with exit 0 and
// no "Failed". The start-up line names the page to open (the allowed
// origin, not the listening address), and an exported REDIS_URL is
// announced as not used rather than silently ignored.
func TestRunTaskInterruptedEndsCleanly(t *testing.T) {
	tr, l, port := startListening(t, func(port string) []string {
		return []string{"PORT=" + port, "ALLOWED_ORIGINS=http://localhost:" + port,
			"REDIS_URL=redis://127.0.0.1:1", "LOG_FORMAT=text"}
	}, "run")
	if got, want := attr(l, "page"), "http://localhost:"+port; got != want {
		t.Errorf("page=%q, want %q: %s", got, want, l)
	}
	if attr(l, "addr") != "127.0.0.1:"+port || attr(l, "mode") != "embedded" || attr(l, "pid") == "" {
		t.Errorf("listening line %s", l)
	}
	if !strings.Contains(tr.output(), "embedded mode: the exported REDIS_URL is not used here; task run:redis uses it") {
		t.Errorf("no word about the exported REDIS_URL:\n%s", tr.output())
	}
	if err := syscall.Kill(-tr.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	stoppedCleanly(t, tr)
}

// A server started in the background through the task: task does not pass
// a signal sent to its own pid on, so the README says to signal rt's pid,
// which the start-up line gives. Then rt stops and the task ends cleanly.
func TestRunTaskEndsWhenRtsPidIsSignalled(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			tr, l, _ := startListening(t, func(port string) []string {
				return []string{"PORT=" + port, "REDIS_URL=", "LOG_FORMAT=text"}
			}, "run")
			pid, err := strconv.Atoi(attr(l, "pid"))
			if err != nil || pid == tr.cmd.Process.Pid {
				t.Fatalf("pid %d (%v) is not rt's", pid, err)
			}
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
			stoppedCleanly(t, tr)
		})
	}
}

// run:redis runs the same binary against REDIS_URL and stops as cleanly.
func TestRunRedisTaskInterruptedEndsCleanly(t *testing.T) {
	srv := redistest.Start(t)
	tr, l, _ := startListening(t, func(port string) []string {
		return []string{"PORT=" + port, "REDIS_URL=" + srv.URL(), "LOG_FORMAT=text"}
	}, "run:redis")
	if attr(l, "mode") != "redis" {
		t.Errorf("listening line %s", l)
	}
	if err := syscall.Kill(-tr.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	stoppedCleanly(t, tr)
}

// pathWithout is a PATH of one directory holding a link to every command of
// the current PATH except the named one.
func pathWithout(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.Name() == name || e.IsDir() {
				continue
			}
			_ = os.Symlink(filepath.Join(d, e.Name()), filepath.Join(dir, e.Name())) // the first on PATH wins
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// redisTests counts, from the sources, the Test functions that start a
// redis-server: those calling redistest.Start, directly or through a
// helper of their own package.
func redisTests(t *testing.T) int {
	t.Helper()
	type fn struct{ pkg, name string }
	calls := map[fn]map[string]bool{} // the identifiers each function calls
	startsRedis := map[fn]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Body == nil {
				continue
			}
			key := fn{filepath.Dir(path), fd.Name.Name}
			called := map[string]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					switch f := c.Fun.(type) {
					case *ast.Ident:
						called[f.Name] = true
					case *ast.SelectorExpr:
						if x, ok := f.X.(*ast.Ident); ok && x.Name == "redistest" && f.Sel.Name == "Start" {
							startsRedis[key] = true
						}
					}
				}
				return true
			})
			calls[key] = called
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for grew := true; grew; {
		grew = false
		for f, called := range calls {
			if startsRedis[f] {
				continue
			}
			for name := range called {
				if startsRedis[fn{f.pkg, name}] && !strings.HasPrefix(name, "Test") {
					startsRedis[f], grew = true, true
					break
				}
			}
		}
	}
	n := 0
	for f := range startsRedis {
		if strings.HasPrefix(f.name, "Test") {
			n++
		}
	}
	return n
}

// Without redis-server on PATH the test task says so in its own output,
// before the tests, with the number of tests that will skip; with
// REQUIRE_REDIS=1 it fails there instead.
func TestTestTaskSaysWhenRedisTestsSkip(t *testing.T) {
	want := "SKIP: redis-server not found: " + strconv.Itoa(redisTests(t)) +
		" Redis tests will be skipped; install redis-server or set REQUIRE_REDIS=1\n"
	noRedis := "PATH=" + pathWithout(t, "redis-server")

	tr := startTask(t, []string{noRedis, "REQUIRE_REDIS="}, "check:redis")
	if code := tr.wait(t); code != 0 || tr.output() != want {
		t.Errorf("exit %d, output %q; want 0 and %q", code, tr.output(), want)
	}

	tr = startTask(t, []string{noRedis, "REQUIRE_REDIS=1"}, "check:redis")
	if code := tr.wait(t); code == 0 || !strings.Contains(tr.output(), "FAIL: redis-server not found and REQUIRE_REDIS=1") {
		t.Errorf("REQUIRE_REDIS=1: exit %d, output %q; want a failure", code, tr.output())
	}

	if _, err := exec.LookPath("redis-server"); err == nil {
		tr = startTask(t, []string{"REQUIRE_REDIS=1"}, "check:redis")
		if code := tr.wait(t); code != 0 || tr.output() != "" {
			t.Errorf("with redis-server: exit %d, output %q; want 0 and nothing", code, tr.output())
		}
	}

	// The test task runs the check first.
	tr = startTask(t, nil, "--summary", "test")
	tr.wait(t)
	out := tr.output()
	if check, tests := strings.Index(out, "check:redis"), strings.Index(out, "go test"); check < 0 || tests < check {
		t.Errorf("the test task does not run check:redis before go test:\n%s", out)
	}
}
