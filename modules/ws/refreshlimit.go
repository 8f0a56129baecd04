package ws

import (
	"time"

	"golang.org/x/time/rate"
)

// The auth.refresh bucket, on top of the data-frame bucket the frame has
// already passed. A refresh costs a signature check and a parse of up to
// auth.MaxTokenBytes, far more than any other frame, and a client needs
// one per token lifetime, minutes at the least: one a second, with a burst
// of three for a retry or two after a refused token, serves every honest
// client and no flood.
const (
	refreshRate  = 1 // refreshes per second
	refreshBurst = 3
)

// checkRefresh judges an auth.refresh arriving at now. Its excess counts
// toward the same warnings as data and control frames.
func (g *floodGuard) checkRefresh(now time.Time) verdict {
	if g.refreshes == nil { // most sockets never refresh
		g.refreshes = rate.NewLimiter(refreshRate, refreshBurst)
	}
	return g.judge(g.refreshes, now)
}
