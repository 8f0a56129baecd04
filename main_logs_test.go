package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMainProcess is not a test: it is main itself, run as a child process
// by the tests below.
func TestMainProcess(t *testing.T) {
	if os.Getenv("RT_TEST_RUN_MAIN") != "1" {
		t.Skip("runs only as a child process")
	}
	os.Args = os.Args[:1] // the test flags are no subcommand: rt as the server
	main()
}

// startMain runs main in embedded mode on a free port with env added, and
// returns its log lines; it is stopped (SIGTERM, or killed after 30 s) when
// the test ends.
func startMain(t *testing.T, env ...string) *bufio.Scanner {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(append(os.Environ(), "RT_TEST_RUN_MAIN=1", "PORT="+freePort(t), "REDIS_URL="), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	t.Cleanup(func() { deadline.Stop(); _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	return bufio.NewScanner(stderr)
}

// With LOG_FORMAT=json every line from the first one on is JSON, the
// start-up warnings included.
func TestEveryLogLineHasTheConfiguredFormat(t *testing.T) {
	lines := startMain(t, "LOG_FORMAT=json", "JWT_SECRET=change-me")
	sawWarning := false
	for lines.Scan() {
		var entry map[string]any
		if err := json.Unmarshal(lines.Bytes(), &entry); err != nil {
			t.Fatalf("not a JSON log line: %q", lines.Text())
		}
		msg, _ := entry["msg"].(string)
		sawWarning = sawWarning || strings.Contains(msg, "JWT_SECRET")
		if msg == "listening" {
			break
		}
	}
	if !sawWarning {
		t.Error("the default-secret warning was not logged before listening")
	}
}

// With LOG_LEVEL=debug fx's own events (modules provided, hooks run) come
// through the configured logger, before the server listens.
func TestFxEventsGoThroughTheLogger(t *testing.T) {
	lines := startMain(t, "LOG_FORMAT=json", "LOG_LEVEL=debug")
	events := map[string]bool{}
	for lines.Scan() {
		var entry map[string]any
		if err := json.Unmarshal(lines.Bytes(), &entry); err != nil {
			t.Fatalf("not a JSON log line: %q", lines.Text())
		}
		msg, _ := entry["msg"].(string)
		if entry["level"] == "DEBUG" {
			events[msg] = true
		}
		if msg == "listening" {
			break
		}
	}
	for _, want := range []string{"provided", "invoking", "OnStart hook executed"} {
		if !events[want] {
			t.Errorf("no fx %q event in the debug log; got %v", want, events)
		}
	}
}
