package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/drain"
	"github.com/rtserver/rt/modules/health/check"
	"github.com/rtserver/rt/modules/redis"
)

// /readyz names the failed check, and what its failure says more, such as
// the Redis Cluster masters that are away.
func TestReadyzNamesWhatFailed(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, `{"status":"ready"}`},
		{errors.New("refused"), `{"failed":"redis","status":"unavailable"}`},
		{&redis.ShardsDown{Addrs: []string{"10.0.0.2:6379"}}, `{"failed":"redis","shards_down":["10.0.0.2:6379"],"status":"unavailable"}`},
	} {
		app := fiber.New()
		newRoutes(routesParams{Checks: check.All{Checks: []check.Check{{Name: "redis", Probe: func(context.Context) error { return tc.err }}}}}).Register(app)
		resp, err := app.Test(httptest.NewRequest("GET", "/readyz", nil))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got)
		if string(b) != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, b, tc.want)
		}
	}
}

// Once the node drains, /readyz answers 503 draining even though every
// check passes; /healthz still answers ok (the process is alive).
func TestReadyzSaysDraining(t *testing.T) {
	d := drain.New(config.Config{}, slog.New(slog.DiscardHandler))
	app := fiber.New()
	routes{checks: []check.Check{{Name: "redis", Probe: func(context.Context) error { return nil }}}, drain: d}.Register(app)
	get := func(path string) (int, string) {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 || body != `{"status":"ready"}` {
		t.Fatalf("before the drain: %d %s", code, body)
	}
	d.Delay(context.Background(), 0) // no DRAIN_DELAY: it begins and returns
	if code, body := get("/readyz"); code != 503 || body != `{"status":"draining"}` {
		t.Fatalf("draining: %d %s", code, body)
	}
	if code, body := get("/healthz"); code != 200 || body != `{"status":"ok"}` {
		t.Fatalf("healthz while draining: %d %s", code, body)
	}
}
