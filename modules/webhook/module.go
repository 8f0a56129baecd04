package webhook

import (
	"context"
	"errors"
	"log/slog"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/metrics/collect"
)

// Module provides the Recorder, nil while WEBHOOK_URL is unset (then
// nothing of the webhook runs). With it set, the node's sender runs from
// start to stop whether or not anything records: a node delivers what
// others queued too. The Queue comes from the backend: MemoryModule in
// embedded mode, redisqueue.Module in redis mode.
var Module = fx.Module("webhook",
	fx.Provide(NewStats, collect.As((*Stats).Collectors), provideRecorder),
	fx.Invoke(func(Recorder) {}),
)

// MemoryModule provides the in-process Queue of embedded mode (nil while
// WEBHOOK_URL is unset).
var MemoryModule = fx.Module("webhook.memory", fx.Provide(provideMemory))

type recorderParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    config.Config
	Stats     *Stats
	Log       *slog.Logger
	Queue     Queue `optional:"true"`
	// The hooks module's caller, shared with the connect and publish
	// hooks so HOOK_CONCURRENCY bounds them all; without that module the
	// webhook makes its own.
	Caller    *hooks.Caller `optional:"true"`
	HookStats *hooks.Stats  `optional:"true"`
}

// errNoQueue is a webhook assembled without a queue module.
var errNoQueue = errors.New("WEBHOOK_URL is set but the app has no webhook queue (webhook.MemoryModule or redisqueue.Module)")

// provideRecorder starts the Delivery after the Queue (built first, as a
// dependency) and stops it before: fx stops in reverse order, so the
// buffer is flushed into a Queue that still works. Whatever records (the
// hub) is built after its Recorder, so it stops first and its last events
// are flushed too.
func provideRecorder(p recorderParams) (Recorder, error) {
	if p.Config.WebhookURL == "" {
		return nil, nil
	}
	if p.Queue == nil {
		return nil, errNoQueue
	}
	caller := p.Caller
	if caller == nil {
		timeout, concurrency, _ := p.Config.HookLimits()
		caller = hooks.NewCaller(p.Config.HookSecret, timeout, concurrency, p.HookStats)
		p.Lifecycle.Append(fx.StopHook(caller.Close))
	}
	d := New(p.Queue, caller, p.HookStats, p.Stats, p.Log, SettingsFrom(p.Config))
	p.Lifecycle.Append(fx.StartStopHook(d.Start, d.Stop))
	return d, nil
}

// provideMemory logs at stop what the queue still holds, after the
// Delivery flushed into it (it is stopped first): those events are lost.
func provideMemory(lc fx.Lifecycle, cfg config.Config, log *slog.Logger) Queue {
	if cfg.WebhookURL == "" {
		return nil
	}
	timeout, _, backlog := cfg.HookLimits()
	q := NewMemory(backlog, ClaimAfter(timeout))
	lc.Append(fx.StopHook(func(ctx context.Context) {
		if n, _ := q.Len(ctx); n > 0 {
			log.Warn("webhook: events not delivered are lost: embedded mode keeps them in memory", "events", n)
		}
	}))
	return q
}
