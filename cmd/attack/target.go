package main

import (
	"context"
	"maps"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtserver/rt/cmd/internal/proc"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

const (
	sampleEvery = 100 * time.Millisecond // RSS sampling period
	settle      = time.Second            // after the attack, before the "end" readings
)

// env is what every scenario of a run shares.
type env struct {
	bin       string
	name      string // the binary's file name: the row says which server it was
	redisURL  string
	extra     map[string]string // -env
	cpuServer int               // -1 = not pinned
	runID     string            // makes room names unique to this run (a shared Redis)
}

// target is the server under attack.
type target struct {
	*rtnode.Node
	e *env
}

// startTarget starts the binary with rt's defaults, the scenario's own
// variables (scenarioEnv) and -env on top.
func startTarget(ctx context.Context, e *env, scenarioEnv map[string]string) (*target, error) {
	vars := map[string]string{"LOG_LEVEL": "info"} // rt's default: the access log is part of the cost
	maps.Copy(vars, scenarioEnv)
	maps.Copy(vars, e.extra)
	o := rtnode.Options{RedisURL: e.redisURL, Env: vars, Name: "server", Logf: logf}
	if e.cpuServer >= 0 {
		cpu := strconv.Itoa(e.cpuServer)
		o.Command = func(bin string) *exec.Cmd { return exec.Command("taskset", "-c", cpu, bin) }
		o.ExtraEnv = []string{"GOMAXPROCS=1"}
	}
	n, err := rtnode.Start(ctx, e.bin, o)
	if err != nil {
		return nil, err
	}
	return &target{Node: n, e: e}, nil
}

// openHandshakes lifts the per-address handshake limit of a server that
// has one: every scenario but handshakes opens more sockets from 127.0.0.1
// than it allows, and measures something else.
var openHandshakes = map[string]string{"HANDSHAKE_RATE": "0"}

// shippedHandshakes gives the handshakes scenario the server's own
// per-address limit: rtnode pins it off for the load and chaos runs, and an
// empty value is the server's default.
var shippedHandshakes = map[string]string{"HANDSHAKE_RATE": "", "HANDSHAKE_BURST": ""}

func (t *target) rss() uint64 {
	b, _ := proc.RSS(t.Pid()) // 0 once the server has gone: the row shows it
	return b
}

func (t *target) cpu() time.Duration {
	d, _ := proc.CPUTime(t.Pid())
	return d
}

// meter is one attack's readings of the server: RSS before, its peak over
// the samples, at the end, and CPU time over the window.
type meter struct {
	t        *target
	cpu0     time.Duration
	start    time.Time
	peak     atomic.Uint64
	stop     chan struct{}
	wg       sync.WaitGroup
	redis    *redisCPU
	redis0   float64
	metrics0 map[string]float64
}

// startMeter reads everything "before" and starts sampling RSS. The
// /metrics scrape comes first: it costs the server CPU outside the window.
func (t *target) startMeter(ctx context.Context, r *result) *meter {
	m := &meter{t: t, stop: make(chan struct{})}
	m.metrics0, _ = scrape(ctx, t.Port)
	if t.e.redisURL != "" {
		m.redis = newRedisCPU(ctx, t.e.redisURL)
		var err error
		if m.redis0, err = m.redis.seconds(ctx); err != nil {
			r.RedisCPUError = err.Error()
		}
	}
	r.RSSBefore = t.rss()
	m.peak.Store(r.RSSBefore)
	m.cpu0, m.start = t.cpu(), time.Now()
	m.wg.Go(func() {
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
				if b := t.rss(); b > m.peak.Load() {
					m.peak.Store(b)
				}
			}
		}
	})
	return m
}

// end reads CPU and RSS at the end of the attack (after settle), the
// Redis CPU, and the counters of /metrics that moved.
func (m *meter) end(ctx context.Context, r *result) {
	_ = rtnode.Sleep(ctx, settle)
	r.ServerCPU = (m.t.cpu() - m.cpu0).Seconds()
	r.Wall = time.Since(m.start).Seconds()
	r.RSSEnd = m.t.rss()
	if m.redis != nil {
		if s, err := m.redis.seconds(ctx); err != nil {
			r.RedisCPUError = err.Error()
		} else {
			r.RedisCPU = s - m.redis0
		}
	}
	if after, err := scrape(ctx, m.t.Port); err == nil && m.metrics0 != nil {
		r.Moved = moved(m.metrics0, after)
	}
}

// finish stops sampling once the sockets are gone, and takes the RSS then.
func (m *meter) finish(ctx context.Context, r *result) {
	_ = rtnode.Sleep(ctx, settle)
	r.RSSAfter = m.t.rss()
	close(m.stop)
	m.wg.Wait()
	r.RSSPeak = max(m.peak.Load(), r.RSSEnd, r.RSSAfter)
	if m.redis != nil {
		m.redis.close()
	}
}
