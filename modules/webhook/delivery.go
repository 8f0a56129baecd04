package webhook

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/backoff"
	"github.com/rtserver/rt/modules/hooks"
)

// hookName is the webhook's name for the caller: its X-RT-Hook header and
// its label in rt_hook_calls_total.
const hookName = "webhook"

// DefaultFlushEvery is how long a recorded event waits for others before
// the flusher moves them into the Queue (at once at MaxBatch): a short
// wait that turns a burst into a few Queue writes.
const DefaultFlushEvery = 20 * time.Millisecond

// Settings shape a Delivery.
type Settings struct {
	URL     string // WEBHOOK_URL
	Backlog int    // the most events the node's buffer holds (WEBHOOK_BACKLOG)
	// Retry is the schedule of a batch's retries, and of the flusher's
	// while the Queue fails.
	Retry backoff.Policy
	// FlushEvery is DefaultFlushEvery when 0.
	FlushEvery time.Duration
}

// SettingsFrom are the settings cfg sets.
func SettingsFrom(cfg config.Config) Settings {
	timeout, _, backlog := cfg.HookLimits()
	return Settings{
		URL:     cfg.WebhookURL,
		Backlog: backlog,
		Retry:   RetryPolicy(ClaimAfter(timeout)),
	}
}

// Delivery is the webhook of one node: the Recorder the hub records with,
// the flusher that moves what it records into the Queue, and the sender
// that takes batches from the Queue to the backend. Both loops run from
// Start to Stop.
type Delivery struct {
	queue     Queue
	caller    *hooks.Caller
	hookStats *hooks.Stats
	stats     *Stats
	log       *slog.Logger
	set       Settings
	buf       *buffer

	drops, failures, queueFailures throttle

	cancel context.CancelFunc
	loops  sync.WaitGroup
}

var _ Recorder = (*Delivery)(nil)

// New returns a stopped Delivery to s.URL through caller. hookStats may be
// nil; stats nil gets metrics registered nowhere.
func New(q Queue, caller *hooks.Caller, hookStats *hooks.Stats, stats *Stats, log *slog.Logger, s Settings) *Delivery {
	if stats == nil {
		stats = NewStats()
	}
	if s.FlushEvery <= 0 {
		s.FlushEvery = DefaultFlushEvery
	}
	return &Delivery{
		queue: q, caller: caller, hookStats: hookStats, stats: stats, log: log, set: s,
		buf: newBuffer(s.Backlog),
	}
}

// Record gives each event a new id and buffers it for delivery. It never
// blocks: past the bound the oldest buffered events are dropped. It keeps
// the events' messages as they are (no copy of Message or its Data): the
// caller must not change them afterwards.
func (d *Delivery) Record(events ...Event) {
	if len(events) == 0 {
		return
	}
	for _, e := range events {
		d.stats.events.WithLabelValues(e.Type).Inc()
	}
	if n := d.buf.add(events); n > 0 {
		d.dropped(n)
	}
}

// dropped counts events dropped to the bound; the flusher logs them.
func (d *Delivery) dropped(n int) {
	d.stats.dropped.Add(float64(n))
	d.drops.note(n)
}

// Start starts the flusher and the sender.
func (d *Delivery) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.loops.Add(2)
	go d.flushLoop(ctx)
	go d.sendLoop(ctx)
	return nil
}

// stopFlushLimit bounds the flush at stop: plenty for a Queue that
// answers, and a Redis that does not must not spend the whole stop's
// time, which the modules stopped after this one need too (fx skips the
// remaining stop hooks once the stop's context has ended).
const stopFlushLimit = 2 * time.Second

// Stop stops both loops (a batch being sent stays queued: in Redis
// another node, or this one's next start, claims it), then moves what is
// buffered into the Queue, for at most stopFlushLimit; what is left is
// logged as lost.
func (d *Delivery) Stop(ctx context.Context) error {
	if d.cancel != nil {
		d.cancel()
		d.loops.Wait()
	}
	ctx, cancel := context.WithTimeout(ctx, stopFlushLimit)
	defer cancel()
	d.flushAll(ctx)
	if n := d.drops.flush(); n > 0 {
		d.log.Warn("webhook: backlog full, dropped the oldest events", "dropped", n)
	}
	if n := d.buf.len(); n > 0 {
		d.log.Warn("webhook: events recorded and not queued by the stop are lost", "events", n)
	}
	return nil
}

// reportDrops logs the drops counted since the last warning, at most
// once per warnEvery.
func (d *Delivery) reportDrops() {
	if n, ok := d.drops.due(time.Now()); ok {
		d.log.Warn("webhook: backlog full, dropped the oldest events",
			"dropped", n, "backlog", d.set.Backlog)
	}
}

// warn logs err at most once per warnEvery for t, with how many times it
// happened since.
func (d *Delivery) warn(t *throttle, msg string, err error) {
	t.note(1)
	if n, ok := t.due(time.Now()); ok {
		d.log.Warn(msg, "err", err, "times", n)
	}
}
