package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreDoesNotImportHTTP: the packages that own rooms, messages,
// presence and Redis depend on no HTTP framework, so they can be read,
// tested and reused without one. Only the modules that serve HTTP do.
func TestCoreDoesNotImportHTTP(t *testing.T) {
	core := []string{"./modules/hub", "./modules/bus", "./modules/presence", "./modules/redis", "./modules/protocol"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, core...)...).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "gofiber") || strings.Contains(pkg, "fasthttp") {
			t.Errorf("the core depends on %s", pkg)
		}
	}
}

// TestOnlyTheRedisSideLinksRedis: the hub, the bus's interface, presence
// and the configuration link no Redis client, so embedded mode and a
// broker of one's own carry none of it; and the packages that import
// rueidis are the connection, the bus's Redis side, the webhook queue, the
// node records' store and the test servers.
func TestOnlyTheRedisSideLinksRedis(t *testing.T) {
	for _, pkg := range []string{"./modules/hub", "./modules/bus", "./modules/presence", "./config", "./modules/ws", "./modules/hooks", "./modules/webhook", "./modules/nodes", "./modules/admin"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		if strings.Contains(string(out), "github.com/redis/rueidis") {
			t.Errorf("%s links rueidis", pkg)
		}
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	var importers []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if strings.Contains(" "+imports+" ", " github.com/redis/rueidis ") {
			importers = append(importers, pkg)
		}
	}
	want := []string{"github.com/rtserver/rt/modules/bus/redisbus", "github.com/rtserver/rt/modules/nodes/redisnodes", "github.com/rtserver/rt/modules/redis",
		"github.com/rtserver/rt/modules/redis/redistest", "github.com/rtserver/rt/modules/webhook/redisqueue"}
	if strings.Join(importers, " ") != strings.Join(want, " ") {
		t.Errorf("packages importing rueidis: %v, want %v", importers, want)
	}
}

// TestGoClientLinksNoServer: the Go client is a library applications
// go get; it links nothing of the server (no module of rt, no Fiber, no
// Redis client, no fx), only the standard library and its WebSocket and
// rate packages.
func TestGoClientLinksNoServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./client").Output()
	if err != nil {
		t.Fatalf("go list -deps ./client: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/rtserver/rt/modules", "github.com/rtserver/rt/cmd", "gofiber", "rueidis", "go.uber.org"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("the Go client depends on %s", pkg)
			}
		}
	}
}
