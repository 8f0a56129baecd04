package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBuildStampsTheVersion: the binary `go tool task build` makes says
// which checkout it was built from: git describe's name and the commit.
func TestBuildStampsTheVersion(t *testing.T) {
	describe, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		t.Skipf("not a git checkout (git describe: %v): the build stamps \"devel\"", err)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "task", "build").Output()
	if err != nil {
		t.Fatalf("go tool task build: %v", err)
	}
	bin := strings.TrimSpace(string(out))
	version, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	want := "rt " + strings.TrimSpace(string(describe)) + " (commit " + strings.TrimSpace(string(head)) + ", go"
	if !strings.HasPrefix(string(version), want) {
		t.Errorf("rt version printed %q, want it to begin %q", version, want)
	}
}
