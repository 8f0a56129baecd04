package hooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// warnEvery is the least time between two warnings of one hook's failures:
// a backend that is down fails every call, and one line every 10 s (with
// the count of the ones not logged) says it as well as thousands.
const warnEvery = 10 * time.Second

// hook is what the connect and the publish hook share: one signed call to
// the backend, its answer read strictly, and what a failure means
// (HOOK_FAIL_OPEN).
type hook struct {
	name     string // connect or publish: the X-RT-Hook header and the metrics' label
	url      string
	caller   *Caller
	stats    *Stats
	failOpen bool
	warn     *warner
}

func newHook(name, url string, c *Caller, failOpen bool, stats *Stats, log *slog.Logger) hook {
	return hook{name: name, url: url, caller: c, stats: stats, failOpen: failOpen,
		warn: &warner{log: log, hook: name, every: warnEvery}}
}

// ask sends body and returns the backend's answer. A call that fails, or
// whose answer is not the JSON expected, is an allow when the hook fails
// open, and ErrUnavailable (wrapping the cause) otherwise; either way it is
// counted and logged here, so the callers count only answers.
func (h *hook) ask(ctx context.Context, body []byte) (Answer, error) {
	raw, err := h.caller.Call(ctx, h.name, h.url, body)
	if err == nil {
		var a Answer
		if a, err = ParseAnswer(raw); err == nil {
			return a, nil
		}
	}
	return h.failed(ctx, err)
}

// failed is a failed call's outcome. A caller that gave up (the client
// went away) is not worth a warning: the backend did nothing wrong.
func (h *hook) failed(ctx context.Context, err error) (Answer, error) {
	gaveUp := errors.Is(err, context.Canceled) && ctx.Err() != nil
	if h.failOpen {
		h.stats.Count(h.name, "failed_open")
		if !gaveUp {
			h.warn.failed(err, "the "+h.name+" hook failed; let through (HOOK_FAIL_OPEN=true)")
		}
		return Answer{Allow: true}, nil
	}
	h.stats.Count(h.name, Outcome(err))
	if !gaveUp {
		h.warn.failed(err, "the "+h.name+" hook failed; refused (HOOK_FAIL_OPEN=false)")
	}
	return Answer{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// warner logs a hook's failures at most once per every, with how many
// were not logged since the last line.
type warner struct {
	log   *slog.Logger
	hook  string
	every time.Duration

	mu     sync.Mutex
	last   time.Time
	missed int
}

func (w *warner) failed(err error, msg string) {
	if w.log == nil {
		return
	}
	now := time.Now()
	w.mu.Lock()
	if !w.last.IsZero() && now.Sub(w.last) < w.every {
		w.missed++
		w.mu.Unlock()
		return
	}
	missed := w.missed
	w.last, w.missed = now, 0
	w.mu.Unlock()
	w.log.Warn(msg, "hook", w.hook, "err", err, "unlogged_failures", missed)
}
