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
