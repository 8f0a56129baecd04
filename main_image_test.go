package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Without a Docker daemon the test task says so in its own output, before
// the tests (the image test then skips); with REQUIRE_DOCKER=1 it fails
// there instead.
func TestTestTaskSaysWhenTheImageTestSkips(t *testing.T) {
	const want = "SKIP: no Docker daemon answers: the image test (TestImage in e2e) will be skipped; " +
		"start dockerd or set REQUIRE_DOCKER=1\n"
	noDaemon := "DOCKER_HOST=unix://" + filepath.Join(t.TempDir(), "no-docker.sock")

	tr := startTask(t, []string{noDaemon, "REQUIRE_DOCKER="}, "check:docker")
	if code := tr.wait(t); code != 0 || tr.output() != want {
		t.Errorf("exit %d, output %q; want 0 and %q", code, tr.output(), want)
	}

	tr = startTask(t, []string{noDaemon, "REQUIRE_DOCKER=1"}, "check:docker")
	if code := tr.wait(t); code == 0 || !strings.Contains(tr.output(), "FAIL: no Docker daemon answers and REQUIRE_DOCKER=1") {
		t.Errorf("REQUIRE_DOCKER=1: exit %d, output %q; want a failure", code, tr.output())
	}

	tr = startTask(t, nil, "--summary", "test")
	tr.wait(t)
	out := tr.output()
	if check, tests := strings.Index(out, "check:docker"), strings.Index(out, "go test"); check < 0 || tests < check {
		t.Errorf("the test task does not run check:docker before go test:\n%s", out)
	}
}
