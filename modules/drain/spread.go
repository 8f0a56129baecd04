package drain

import (
	"context"
	"time"
)

// The pace of the spread. Sockets are closed in batches, one batch every
// batchEvery, each batch bringing the count closed up to what is due at
// that moment (due), so the closes follow a straight line from the first
// to the last whatever the ticker's jitter. A node with few sockets does
// not stretch them over the whole spread: they are closed at most
// maxGap apart (a client's reconnect costs the other nodes a
// handshake, a token check and a rejoin, so 20 a second from one
// draining node is no storm), and so N sockets take
// min(SHUTDOWN_SPREAD, N × maxGap).
const (
	batchEvery = 20 * time.Millisecond
	maxGap     = 50 * time.Millisecond
)

// Span is how long closing n sockets takes with a spread of spread: the
// spread, or less for few sockets (n × maxGap); 0 closes them all at
// once.
func Span(n int, spread time.Duration) time.Duration {
	if n <= 1 || spread <= 0 {
		return 0
	}
	return min(spread, time.Duration(n)*maxGap)
}

// due is how many of n sockets should be closed once elapsed of span has
// passed: a straight line from 0 to n, rounded up so the first batch
// closes at least one.
func due(n int, elapsed, span time.Duration) int {
	if span <= 0 || elapsed >= span {
		return n
	}
	if elapsed <= 0 {
		return 0
	}
	return min(n, int((int64(n)*int64(elapsed)+int64(span)-1)/int64(span)))
}

// Spread calls closeNext for the n sockets there are to close, with how
// many to close now, until all n have been: over Span(n, spread), in
// batches. Hurry or ctx's end closes every one left at once. It returns
// once closeNext has been given all n.
func (d *Drain) Spread(ctx context.Context, n int, closeNext func(count int)) {
	span := Span(n, d.spread)
	if span > 0 && !d.hurried() {
		d.log.Info("closing the sockets with 1001, spread", "sockets", n, "over", span)
	}
	closed := 0
	start := time.Now()
	if span > 0 {
		tick := time.NewTicker(batchEvery)
		defer tick.Stop()
		for closed < n {
			select {
			case <-tick.C:
			case <-d.hurry:
				span = 0
			case <-ctx.Done():
				span = 0
			}
			if k := due(n, time.Since(start), span) - closed; k > 0 {
				closeNext(k)
				closed += k
			}
		}
	}
	if closed < n {
		closeNext(n - closed)
	}
}
