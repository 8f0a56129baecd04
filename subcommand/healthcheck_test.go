package subcommand_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/app"
)

// startRT starts the whole server, configured from the environment as
// main does, on a free port of host, and returns the port (also set as
// PORT for the test) and a function that stops it.
func startRT(t *testing.T, host string) (port string, stop func()) {
	t.Helper()
	t.Setenv("REDIS_URL", "")
	t.Setenv("LOG_LEVEL", "error")
	t.Setenv("HOST", host)
	port = freePort(t, host)
	t.Setenv("PORT", port)
	rt := fx.New(app.FromEnv(), fx.NopLogger)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := rt.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return port, stop
}

func freePort(t *testing.T, host string) string {
	t.Helper()
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// healthy runs rt healthcheck and wants exit 0 and nothing on stderr.
func healthy(t *testing.T) {
	t.Helper()
	if code, stdout, stderr := run("healthcheck"); code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("rt healthcheck (HOST=%s): exit %d, stdout %q, stderr %q", os.Getenv("HOST"), code, stdout, stderr)
	}
}

// unhealthy runs rt healthcheck and wants exit 1 and one line on stderr
// that says why.
func unhealthy(t *testing.T, why string) {
	t.Helper()
	code, stdout, stderr := run("healthcheck")
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") ||
		!strings.HasPrefix(stderr, "rt healthcheck: ") || !strings.Contains(stderr, why) {
		t.Fatalf("rt healthcheck: exit %d, stdout %q, stderr %q; want 1 and one line saying %q", code, stdout, stderr, why)
	}
}

// rt healthcheck asks the server HOST and PORT describe: a specific
// address (127.0.0.2 answers nothing on 127.0.0.1) or name as it is, the
// unspecified address through loopback.
func TestHealthcheckAsksTheServerHostAndPortName(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "127.0.0.2", "0.0.0.0", "localhost"} {
		t.Run(host, func(t *testing.T) {
			startRT(t, host)
			healthy(t)
		})
	}
}

func TestHealthcheckFailsWhenRTIsDown(t *testing.T) {
	_, stop := startRT(t, "127.0.0.1")
	healthy(t)
	stop()
	unhealthy(t, "connection refused")
}

// Only 200 is healthy: a server that answers something else is not.
func TestHealthcheckWantsStatus200(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusNotFound, http.StatusMovedPermanently} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if status == http.StatusMovedPermanently {
				w.Header().Set("Location", "/elsewhere")
			}
			w.WriteHeader(status)
		}))
		host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		t.Setenv("HOST", host)
		t.Setenv("PORT", port)
		unhealthy(t, "answered "+strconv.Itoa(status))
		srv.Close()
	}
}

// A server that accepts the connection and never answers is unhealthy
// once the probe's timeout passes, not a hung check.
func TestHealthcheckGivesUpOnAServerThatDoesNotAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, unanswered, until the test ends
		}
	}()
	host, port, _ := net.SplitHostPort(l.Addr().String())
	t.Setenv("HOST", host)
	t.Setenv("PORT", port)
	unhealthy(t, "Timeout")
}

// A configuration the server would refuse is unhealthy too, in one line
// even when several variables are wrong.
func TestHealthcheckWithABadConfiguration(t *testing.T) {
	t.Setenv("PORT", "abc")
	t.Setenv("HOST", "example.com:80")
	unhealthy(t, `PORT="abc"`)
	unhealthy(t, `HOST="example.com:80"`)
}
