package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The image test needs a Docker daemon that answers; without one it skips
// (go tool task test says so in a SKIP line first), and under
// REQUIRE_DOCKER=1, as in CI, it fails instead.

// dockerBound bounds each docker command and each wait on the container: a
// hang guard, not a timing assertion. The image's build compiles rt, which
// on a cold cache takes minutes.
const dockerBound = 5 * time.Minute

// requireDocker skips the test, or fails it under REQUIRE_DOCKER=1, when no
// Docker daemon answers.
func requireDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err == nil {
		return
	}
	why := "docker info: " + err.Error()
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); lines[len(lines)-1] != "" {
		why += ": " + lines[len(lines)-1]
	}
	if os.Getenv("REQUIRE_DOCKER") == "1" {
		t.Fatalf("REQUIRE_DOCKER=1 but no Docker daemon answers (%s)", why)
	}
	t.Skipf("SKIP: no Docker daemon answers (%s): the image is not tested; start dockerd, or set REQUIRE_DOCKER=1 to fail", why)
}

// docker runs a docker command and returns its trimmed standard output.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := dockerTry(args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func dockerTry(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", &dockerError{err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return strings.TrimSpace(string(out)), nil
}

type dockerError struct {
	err    error
	stderr string
}

func (e *dockerError) Error() string { return e.err.Error() + ": " + e.stderr }

// buildImage builds rt's image as a reader does, with `go tool task image`,
// under a tag of the test's own (removed when the test ends), and returns
// the tag the task printed.
func buildImage(t *testing.T) string {
	t.Helper()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	tag := "rt-e2e-image:" + hex.EncodeToString(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), dockerBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "tool", "task", "image", "TAG="+tag)
	cmd.Dir = ".." // the module's root, where the Taskfile is
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Cleanup(func() { _, _ = dockerTry("rmi", "--force", tag) })
	if err != nil {
		t.Fatalf("go tool task image: %v\n%s%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if printed := lines[len(lines)-1]; printed != tag {
		t.Fatalf("go tool task image printed %q, want the tag %q last", out, tag)
	}
	return tag
}

// TestImage builds the image, runs it with the host's network on a free
// port, and checks what an operator relies on: its HEALTHCHECK turns
// healthy, a client with a real token chats through it, it runs as a
// user that is not root with a read-only root filesystem, and
// `docker run IMAGE version` names the build its labels name.
func TestImage(t *testing.T) {
	requireDocker(t)
	tag := buildImage(t)

	labels := docker(t, "image", "inspect", "--format",
		`{{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}}`, tag)
	version, commit, _ := strings.Cut(labels, " ")
	if printed := docker(t, "run", "--rm", tag, "version"); !strings.HasPrefix(printed, "rt "+version+" (commit "+commit+", go") {
		t.Errorf("docker run %s version printed %q; the labels say version %q, commit %q", tag, printed, version, commit)
	}
	if version == "" || (version == "devel" && gitDescribe() != "") {
		t.Errorf("the image's version label is %q in a git checkout (git describe: %s)", version, gitDescribe())
	}

	port := freeHostPort(t)
	name := strings.NewReplacer(":", "-").Replace(tag)
	t.Cleanup(func() { _, _ = dockerTry("rm", "--force", name) })
	// --health-interval only shortens the wait: the check run is the
	// image's own HEALTHCHECK command.
	docker(t, "run", "--detach", "--name", name, "--network", "host", "--read-only",
		"--health-interval", "1s",
		"--env", "PORT="+port, "--env", "JWT_SECRET="+secret, "--env", "ALLOWED_ORIGINS="+origin,
		tag)
	waitHealthy(t, name)

	if user := docker(t, "container", "inspect", "--format", "{{.Config.User}}", name); user != "65532:65532" {
		t.Errorf("the container's user is %q, want 65532:65532", user)
	}
	if uid := processUID(t, docker(t, "container", "inspect", "--format", "{{.State.Pid}}", name)); uid != "" && uid != "65532" {
		t.Errorf("rt runs in the container as uid %s, want 65532", uid)
	} else {
		t.Logf("rt runs in the container as uid %q (\"\" = not readable here)", uid)
	}

	url := "ws://127.0.0.1:" + port + "/ws/image"
	alice := dialWith(t, url+"?token="+token(t, "alice"), http.Header{"Origin": {origin}})
	alice.ready()
	bob := dialWith(t, url+"?token="+token(t, "bob"), http.Header{"Origin": {origin}})
	bob.ready()
	alice.chat("hello through the image")
	for _, c := range []*client{alice, bob} {
		f := c.expect("chat.delivery", "presence.join", "presence.diff")
		if f.str("text") != "hello through the image" || f.str("user") != "alice" {
			t.Errorf("delivered %v", f)
		}
	}
}

// waitHealthy waits until Docker reports the container healthy, failing
// with its log if it stops running or dockerBound passes first.
func waitHealthy(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(dockerBound)
	for {
		state := docker(t, "container", "inspect", "--format", "{{.State.Status}} {{.State.Health.Status}}", name)
		switch {
		case state == "running healthy":
			return
		case !strings.HasPrefix(state, "running "):
			t.Fatalf("the container is %q; its log:\n%s", state, containerLog(name))
		case time.Now().After(deadline):
			t.Fatalf("not healthy within %v (%q); its log:\n%s", dockerBound, state, containerLog(name))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func containerLog(name string) string {
	out, err := exec.Command("docker", "logs", name).CombinedOutput()
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// processUID reads the real uid of a process of this host from /proc, or
// "" when it cannot be read (a Docker daemon in another pid namespace).
func processUID(t *testing.T, pid string) string {
	t.Helper()
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Logf("uid of the container's process not read (%v); checked its configured user only", err)
		return ""
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

// freeHostPort is a port free on every interface, since the container
// listens on 0.0.0.0 of the host's network.
func freeHostPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// gitDescribe is the checkout's name as the Taskfile stamps it, or "" outside git.
func gitDescribe() string {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
