package ws

import (
	"time"

	"golang.org/x/time/rate"
)

// warningWindow is the period over which rate_limited answers are counted
// toward closing a connection with 1008.
const warningWindow = time.Minute

// floodGuard is one connection's token bucket plus its count of recent
// warnings. Only the connection's reader uses it, so it needs no lock.
type floodGuard struct {
	bucket      *rate.Limiter
	maxWarnings int
	warnings    int
	windowStart time.Time
}

func newFloodGuard(l Limits) *floodGuard {
	return &floodGuard{bucket: rate.NewLimiter(rate.Limit(l.Rate), l.Burst), maxWarnings: l.RateWarnings}
}

// verdict says what to do with the frame that just arrived.
type verdict int

const (
	allow verdict = iota
	warn          // drop the frame and answer rate_limited
	expel         // too many warnings: close with 1008
)

func (g *floodGuard) check(now time.Time) verdict {
	if g.bucket.AllowN(now, 1) {
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
