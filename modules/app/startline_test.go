package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// freePort is a loopback port nothing listens on (as far as anyone knows).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startLogging starts the whole server on a free port with env set, and
// returns its JSON log lines so far and the start's error. A started app
// is stopped when the test ends.
func startLogging(t *testing.T, env map[string]string) ([]map[string]any, error) {
	t.Helper()
	t.Setenv("PORT", strconv.Itoa(freePort(t)))
	t.Setenv("REDIS_URL", "")
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.FromOS()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	app := fx.New(fx.NopLogger, Modules(cfg), fx.Decorate(func(*slog.Logger) *slog.Logger { return log }))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = app.Start(ctx)
	if err == nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = app.Stop(ctx)
		})
	}
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if len(l) > 0 && json.Unmarshal(l, &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines, err
}

// The start-up line is written once every listener has bound: a server
// API that cannot bind fails the start with no "listening" line, and one
// that binds says so before it.
func TestListeningLineComesAfterEveryListener(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	key := map[string]string{"API_KEY": "a-key-of-at-least-32-characters-long"}
	key["API_ADDR"] = taken.Addr().String()
	lines, err := startLogging(t, key)
	if err == nil {
		t.Fatal("started with the server API's address taken")
	}
	for _, l := range lines {
		if l["msg"] == "listening" {
			t.Fatalf("a start that failed to bind the server API wrote %v", l)
		}
	}

	key["API_ADDR"] = "127.0.0.1:" + strconv.Itoa(freePort(t))
	lines, err = startLogging(t, key)
	if err != nil {
		t.Fatal(err)
	}
	api, start := indexOf(lines, "server API listening"), indexOf(lines, "listening")
	if api < 0 || start < api {
		t.Fatalf("want the server API's line, then the start-up line; got %v", lines)
	}
}

// On a Redis Cluster the start-up line says mode=cluster and how many
// shards (masters serving slots) it has.
func TestListeningLineNamesTheCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	lines, err := startLogging(t, map[string]string{"REDIS_URL": c.URL()})
	if err != nil {
		t.Fatal(err)
	}
	i := indexOf(lines, "listening")
	if i < 0 || lines[i]["mode"] != "cluster" || lines[i]["shards"] != float64(3) {
		t.Fatalf("want a start-up line with mode=cluster shards=3; got %v", lines)
	}
}

// indexOf is the index of the first line whose msg is msg, or -1.
func indexOf(lines []map[string]any, msg string) int {
	for i, l := range lines {
		if l["msg"] == msg {
			return i
		}
	}
	return -1
}
