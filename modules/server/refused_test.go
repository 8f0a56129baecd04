package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/metrics/metricstest"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want refusal
	}{
		{fasthttp.ErrBodyTooLarge, refusedBodyTooLarge},
		{&fasthttp.ErrSmallBuffer{}, refusedHeadersTooLarge},
		{fmt.Errorf("reading headers: %w", &fasthttp.ErrSmallBuffer{}), refusedHeadersTooLarge},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, refusedTimeout},
		{io.ErrUnexpectedEOF, refusedBadRequest},
		{errors.New(`cannot parse "GET /ws/a?token=abc"`), refusedBadRequest},
	} {
		if got := classify(c.err); got != c.want {
			t.Errorf("classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// collected receives what the server offers to the metrics module's value
// group, standing in for that module.
type collected struct {
	fx.In
	Collectors []prometheus.Collector `group:"metrics"`
}

// The module starts on its own, without the metrics module, and a request
// over the limits is refused with the JSON error before any allocation
// matters; a module reading the value group gets the refusal counter.
func TestModuleRefusesWithoutTheMetricsModule(t *testing.T) {
	for _, withMetrics := range []bool{false, true} {
		var srv *Server
		var got collected
		opts := []fx.Option{fx.NopLogger, fx.Supply(config.Config{Host: "127.0.0.1", WriteTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler)), Module, fx.Populate(&srv)}
		if withMetrics {
			opts = append(opts, fx.Populate(&got))
		}
		app := fx.New(opts...)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := app.Start(ctx); err != nil {
			cancel()
			t.Fatalf("metrics %v: %v", withMetrics, err)
		}
		status, body := exchange(t, srv.Addr().String(), "POST /x HTTP/1.1\r\nHost: rt\r\nContent-Length: 4097\r\n\r\n")
		if status != http.StatusRequestEntityTooLarge || body != `{"error":"body_too_large"}` {
			t.Errorf("metrics %v: %d %s", withMetrics, status, body)
		}
		if withMetrics {
			m := metricstest.Gather(t, got.Collectors...)
			if v := m.Value("rt_http_refused_total", "status", "413", "reason", "body_too_large"); v != 1 {
				t.Errorf("rt_http_refused_total 413 = %v, want 1", v)
			}
		}
		if err := app.Stop(ctx); err != nil {
			t.Error(err)
		}
		cancel()
	}
}

// A body within the limit is still read and served.
func TestBodyWithinTheLimitIsServed(t *testing.T) {
	var srv *Server
	app := fx.New(fx.NopLogger, fx.Supply(config.Config{Host: "127.0.0.1", WriteTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler)), Module, fx.Populate(&srv))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer app.Stop(ctx)
	body := strings.Repeat("a", maxBodyBytes)
	status, _ := exchange(t, srv.Addr().String(), fmt.Sprintf("POST /x HTTP/1.1\r\nHost: rt\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	if status != http.StatusNotFound { // read in full, then routed: no route here
		t.Fatalf("%d, want 404", status)
	}
}

func exchange(t *testing.T, addr, request string) (status int, body string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}
