package ws

import (
	"time"

	"golang.org/x/time/rate"
)

// warningWindow is the period over which rate_limited answers are counted
// toward closing a connection with 1008.
const warningWindow = time.Minute

// floodGuard is one connection's token buckets plus its count of recent
// warnings. Data frames and control frames (ping, pong) have a bucket each,
// so a client's pings never eat into its message budget, and both kinds of
// excess count toward the same warnings; so does the excess of auth.refresh,
// which has a bucket of its own as well (refreshlimit.go). Only the
// connection's reader uses it, so it needs no lock.
type floodGuard struct {
	frames      *rate.Limiter
	control     *rate.Limiter
	refreshes   *rate.Limiter // made with the first auth.refresh
	maxWarnings int
	warnings    int
	windowStart time.Time
}

func newFloodGuard(l Limits) *floodGuard {
	return &floodGuard{
		frames:      rate.NewLimiter(rate.Limit(l.Rate), l.Burst),
		control:     rate.NewLimiter(rate.Limit(l.Rate), l.Burst),
		maxWarnings: l.RateWarnings,
	}
}

// verdict says what to do with the frame that just arrived.
type verdict int

const (
	allow verdict = iota
	warn          // drop the frame and answer rate_limited
	expel         // too many warnings: close with 1008
)

// check judges a data frame arriving at now.
func (g *floodGuard) check(now time.Time) verdict { return g.judge(g.frames, now) }

// checkControl judges a ping or pong frame arriving at now.
func (g *floodGuard) checkControl(now time.Time) verdict { return g.judge(g.control, now) }

func (g *floodGuard) judge(bucket *rate.Limiter, now time.Time) verdict {
	if bucket.AllowN(now, 1) {
		return allow
	}
	if now.Sub(g.windowStart) > warningWindow {
		g.windowStart, g.warnings = now, 0
	}
	g.warnings++
	if g.warnings > g.maxWarnings {
		return expel
	}
	return warn
}
