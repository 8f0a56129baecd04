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
	main()
}

// With LOG_FORMAT=json every line from the first one on is JSON, the
// start-up warnings included.
func TestEveryLogLineHasTheConfiguredFormat(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), "RT_TEST_RUN_MAIN=1", "LOG_FORMAT=json", "PORT="+freePort(t), "REDIS_URL=", "JWT_SECRET=change-me")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stderr)
	sawWarning := false
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
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
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), "RT_TEST_RUN_MAIN=1", "LOG_FORMAT=json", "LOG_LEVEL=debug", "PORT="+freePort(t), "REDIS_URL=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	events := map[string]bool{}
	for lines := bufio.NewScanner(stderr); lines.Scan(); {
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
