package debug

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/rtserver/rt/config"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func TestProfilerOnDebugAddr(t *testing.T) {
	addr := freeAddr(t)
	app := fxtest.New(t, fx.Supply(config.Config{DebugAddr: addr}, slog.New(slog.DiscardHandler)), Module)
	app.RequireStart()
	defer app.RequireStop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("%d %.80s", resp.StatusCode, body)
	}
}

func TestNoProfilerWithoutDebugAddr(t *testing.T) {
	app := fxtest.New(t, fx.Supply(config.Config{}, slog.New(slog.DiscardHandler)), Module)
	app.RequireStart()
	app.RequireStop()
}
