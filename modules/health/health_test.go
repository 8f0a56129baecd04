package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

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
		newRoutes(check.All{Checks: []check.Check{{Name: "redis", Probe: func(context.Context) error { return tc.err }}}}).Register(app)
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
