package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/app"
	"github.com/rtserver/rt/modules/server"
)

// TestGraphIsComplete checks main's module list wires up in both modes.
func TestGraphIsComplete(t *testing.T) {
	for _, redisURL := range []string{"", "redis://127.0.0.1:6379"} {
		t.Setenv("REDIS_URL", redisURL)
		if err := fx.ValidateApp(app.FromEnv()); err != nil {
			t.Errorf("REDIS_URL=%q: %v", redisURL, err)
		}
	}
}

// TestMainModulesServe starts exactly what main starts, in embedded mode,
// and asks it for /readyz.
func TestMainModulesServe(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("PORT", freePort(t))
	var srv *server.Server
	rt := fx.New(app.FromEnv(), fx.Populate(&srv))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop(ctx)
	resp, err := http.Get("http://" + srv.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz %d", resp.StatusCode)
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
