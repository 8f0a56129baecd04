package main

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// The hooks scenario measures what a publish hook (SPEC §11) costs the
// server: the same fan-out on a plain server and on one that asks a
// backend before storing each message, side by side in one run so that
// both sides meet the same machine. The backend runs in this process
// (hookbackend.go), so its own work is on the load generator's CPUs and
// the server's CPU figures are the server's: its side of every call
// (encoding, signing, the HTTP round trip, reading the answer).

// hooksParts are the scenario's runs, in this order: the rate half (-rate
// msg/s per room for -duration, no window, like fanout-rate) without and
// with the hook, then the max-rate half (-msgs per room within -window,
// like rooms) without and with it. Alternating puts each pair next to
// each other in time, so a drift of the machine's speed in the run
// touches both sides of a comparison alike.
func hooksParts(s settings) []settings {
	rate := s
	rate.Msgs = int(math.Round(s.Rate * s.Duration.Seconds()))
	rate.Window = 0
	full := s
	full.Rate, full.Duration = 0, 0
	var parts []settings
	for _, shape := range []settings{rate, full} {
		for _, hook := range []bool{false, true} {
			shape.PublishHook = hook
			parts = append(parts, shape)
		}
	}
	return parts
}

// validateHooks checks one part: the rate half has a duration, the
// max-rate half none.
func (s settings) validateHooks(name string) error {
	if s.Duration > 0 || s.Rate > 0 {
		switch {
		case s.Rate <= 0 || s.Duration <= 0:
			return fmt.Errorf("%s: the rate half needs -rate and -duration above 0", name)
		case s.Msgs < 1:
			return fmt.Errorf("%s: -rate × -duration must make at least one message per room", name)
		}
	}
	return s.validateFanout(name)
}

// hookLabel is how a part's row and logs say which side it is.
func hookLabel(s settings) string {
	if s.PublishHook {
		return "publish hook"
	}
	return "no hook"
}

// hooksRunName names a part in the logs and in its room names, which stay
// apart in a shared Redis.
func hooksRunName(s settings) string {
	name := "hooks-max"
	if s.Rate > 0 {
		name = "hooks-rate"
	}
	if s.PublishHook {
		return name + "-hook"
	}
	return name + "-plain"
}

// hookFigures are a fan-out's figures with what the backend counted.
type hookFigures struct {
	*fanoutFigures
	PublishHook bool  `json:"publish_hook"`
	Messages    int64 `json:"messages_sent"`
	HookCalls   int64 `json:"hook_calls"`          // requests the backend received
	HookBad     int64 `json:"hook_bad_signatures"` // of which refused: signature missing, wrong or stale
}

// runHooks runs one part: a backend in any case (so both sides have the
// same process beside them, and the plain side proves it gets no call),
// and the server told of it only on the publish-hook side.
func runHooks(ctx context.Context, e *env, s settings) (*row, error) {
	b, err := startHookBackend()
	if err != nil {
		return nil, fmt.Errorf("starting the hook backend: %w", err)
	}
	defer b.close()
	name := hooksRunName(s)
	var hookEnv map[string]string
	if s.PublishHook {
		hookEnv = map[string]string{"PUBLISH_HOOK_URL": b.URL, "HOOK_SECRET": b.secret}
	}
	logf("%s: %s (backend at %s)", name, hookLabel(s), b.URL)
	r, runErr := runFanout(ctx, e, s, fanoutRun{name: name, servers: 1, env: hookEnv})
	calls, bad := b.counts() // the server has stopped: no call is still on its way
	logf("%s: the backend counted %d calls, %d refused", name, calls, bad)
	warning, badErr := hookVerdict(s.PublishHook, calls, bad)
	if warning != "" {
		logf("WARNING: %s: %s", name, warning)
	}
	if r == nil {
		return nil, errors.Join(runErr, badErr)
	}
	fig := &hookFigures{fanoutFigures: r.Figures.(*fanoutFigures), PublishHook: s.PublishHook,
		Messages: int64(s.Msgs) * int64(s.Rooms), HookCalls: calls, HookBad: bad}
	fig.decorate(r)
	if warning != "" {
		r.Health += "; **warning**: " + warning
	}
	return r, errors.Join(runErr, badErr)
}

// hookVerdict is what the backend's counts say of a run. A request with a
// bad signature is an error: either the server signs wrongly or something
// else calls the backend, and the figures are not the hook's. A
// publish-hook run without a call is only a warning: a build without the
// hook's code ignores PUBLISH_HOOK_URL, and that row then measures a plain
// server a second time.
func hookVerdict(publishHook bool, calls, bad int64) (warning string, err error) {
	if bad > 0 {
		err = fmt.Errorf("the hook backend refused %d of %d requests: signature missing, wrong or stale", bad, calls)
	}
	if publishHook && calls == 0 {
		warning = "0 hook calls: this build does not call PUBLISH_HOOK_URL, so the publish-hook row measures a plain server"
	}
	return warning, err
}

// decorate labels the fan-out's row with the side it measured and adds
// the backend's counts.
func (fig *hookFigures) decorate(r *row) {
	r.Figures = fig
	r.Setup = "**" + hookLabel(settings{PublishHook: fig.PublishHook}) + "**: " + r.Setup
	r.Result += fmt.Sprintf("; %s hook calls", thousands(float64(fig.HookCalls)))
	if fig.HookBad > 0 {
		r.Health += fmt.Sprintf("; **%d hook requests with a bad signature**", fig.HookBad)
	}
	side := "none: PUBLISH_HOOK_URL unset (the backend ran beside it all the same)"
	if fig.PublishHook {
		side = "PUBLISH_HOOK_URL = a backend in the load generator (on its CPUs): signature checked, every message allowed"
	}
	perCall := "—"
	if fig.Messages > 0 {
		perCall = fmt.Sprintf("%.2f", float64(fig.HookCalls)/float64(fig.Messages))
	}
	d := [][2]string{
		{"publish hook", side},
		{"**hook calls**", fmt.Sprintf("**%s** for %s messages (%s per message); %d refused for their signature",
			thousands(float64(fig.HookCalls)), thousands(float64(fig.Messages)), perCall, fig.HookBad)},
	}
	if fig.Messages > 0 {
		d = append(d, [2]string{"server CPU per message", fmt.Sprintf("%.1f µs (fan-out to every member included)",
			fig.ServerCPUSeconds/float64(fig.Messages)*1e6)})
	}
	r.details = append(d, r.details...)
}
