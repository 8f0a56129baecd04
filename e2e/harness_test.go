package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/app"
	"github.com/rtserver/rt/modules/server"
)

const (
	secret = "test-secret"
	origin = "http://localhost:8000"
)

// testConfig is the default configuration with a free port and a known secret.
func testConfig() config.Config {
	return config.Config{
		Host: "127.0.0.1", Port: 0,
		JWTSecret: secret, JWTAlg: "HS256",
		AllowedOrigins:     []string{origin},
		PresenceTTL:        60 * time.Second,
		HeartbeatInterval:  25 * time.Second,
		IdleTimeout:        70 * time.Second,
		MaxFrameBytes:      64 << 10,
		MaxMessageBytes:    4096,
		SendQueue:          256,
		SendQueueBytes:     1 << 20,
		MaxQueuedBytes:     1 << 30,
		HistoryBudget:      1 << 30, // tests read history fast on purpose; the budget has its own test
		HistoryBudgetBurst: 1 << 30,
		HistorySize:        200,
		HistoryTTL:         time.Hour,
		WriteTimeout:       5 * time.Second,
		RateLimit:          1e6, // tests send fast on purpose; the limit has its own test
		RateBurst:          1e6,
		RateWarnings:       10,
		MaxConnsPerUser:    16,
		MaxRoomsPerConn:    100,
		// SOCKET_POLLER=off runs the suite with the goroutine reader.
		SocketPoller: os.Getenv("SOCKET_POLLER"),
	}
}

// node is one running rt app, assembled from the same modules as main.go
// but with the config supplied by the test.
type node struct {
	app  *fx.App
	addr string
	rc   rueidis.Client
}

func startNode(t *testing.T, cfg config.Config, extra ...fx.Option) *node {
	t.Helper()
	n, err := tryStartNode(cfg, extra...)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { n.stop(t) })
	return n
}

// tryStartNode starts what main starts, with cfg and extra options.
func tryStartNode(cfg config.Config, extra ...fx.Option) (*node, error) {
	return launch(cfg, fx.Options(app.Backend(cfg), app.Extras), extra...)
}

// launch starts app.Core with cfg, plus the given parts (a backend and the
// extras, or a variant of them) and extra options.
func launch(cfg config.Config, parts fx.Option, extra ...fx.Option) (*node, error) {
	n := &node{}
	var srv *server.Server
	opts := []fx.Option{
		fx.Supply(cfg), app.Core, parts,
		fx.NopLogger,
		fx.Populate(&srv),
	}
	if cfg.Mode() == config.ModeRedis {
		opts = append(opts, fx.Populate(&n.rc))
	}
	n.app = fx.New(append(opts, extra...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.app.Start(ctx); err != nil {
		return nil, err
	}
	n.addr = srv.Addr().String()
	return n, nil
}

// stop is idempotent so a test may stop a node early.
func (n *node) stop(t *testing.T) {
	if n.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.app.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
	n.app = nil
}

func (n *node) wsURL(room string) string { return "ws://" + n.addr + "/ws/" + room }

func (n *node) get(t *testing.T, path string) *http.Response {
	t.Helper()
	resp, err := http.Get("http://" + n.addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// token signs claims (sub plus extras) with the test secret.
func token(t *testing.T, sub string, extra ...jwt.MapClaims) string {
	t.Helper()
	claims := jwt.MapClaims{"sub": sub, "iat": time.Now().Unix()}
	for _, e := range extra {
		for k, v := range e {
			claims[k] = v
		}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMain(m *testing.M) { runWithLeakCheck(m) }

// contains reports whether body mentions s, for "never echoed" checks.
func contains(body []byte, s string) bool { return strings.Contains(string(body), s) }
