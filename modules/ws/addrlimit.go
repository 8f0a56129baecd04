package ws

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"
)

// maxAddrBuckets caps how many client addresses the handshake limit keeps
// a bucket for (about 13 MB at the cap). Past it a new address takes the
// place of an arbitrary other one, whose bucket starts full again the next
// time it comes: memory stays bounded whatever the number of addresses,
// and one address flooding is limited all the same, since it keeps coming
// back to the bucket it drained.
const maxAddrBuckets = 100_000

// Idle buckets are dropped by a sweep that runs inside a handshake at most
// once per sweepEvery, or at most once per sweepWhenFull while the map is
// at its cap, before an arbitrary bucket is given up.
const (
	sweepEvery    = time.Minute
	sweepWhenFull = time.Second
)

// addrLimiter is a token bucket per client address: HANDSHAKE_RATE
// handshakes per second on average, HANDSHAKE_BURST at once. A bucket
// that has refilled completely is the same as no bucket, so the sweep
// drops it without changing any answer.
type addrLimiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time // time.Now; a test's clock in tests

	mu        sync.Mutex
	buckets   map[netip.Addr]*rate.Limiter
	lastSweep time.Time
}

func newAddrLimiter(perSecond float64, burst int, now func() time.Time) *addrLimiter {
	return &addrLimiter{rate: rate.Limit(perSecond), burst: burst, now: now,
		buckets: make(map[netip.Addr]*rate.Limiter), lastSweep: now()}
}

// allow takes one handshake from addr's bucket, or reports that it is empty.
func (l *addrLimiter) allow(addr netip.Addr) bool {
	key, now := bucketKey(addr), l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		l.makeRoom(now)
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[key] = b
	}
	return b.AllowN(now, 1)
}

// makeRoom keeps the map under its cap: a sweep first, if none ran in the
// last second, then, if that freed nothing, an arbitrary bucket goes (Go
// starts each map iteration at a random place).
func (l *addrLimiter) makeRoom(now time.Time) {
	if len(l.buckets) < maxAddrBuckets {
		return
	}
	if now.Sub(l.lastSweep) >= sweepWhenFull {
		l.sweep(now)
	}
	for key := range l.buckets {
		if len(l.buckets) < maxAddrBuckets {
			return
		}
		delete(l.buckets, key)
	}
}

// sweep drops every bucket that has refilled.
func (l *addrLimiter) sweep(now time.Time) {
	full := float64(l.burst)
	for key, b := range l.buckets {
		if b.TokensAt(now) >= full {
			delete(l.buckets, key)
		}
	}
	l.lastSweep = now
}

// size is how many buckets are kept.
func (l *addrLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// bucketKey is the address a bucket belongs to. An IPv6 address counts as
// its /64, the block one site or one machine usually gets: a host with a
// /64 could otherwise rotate through more addresses than any map holds.
func bucketKey(addr netip.Addr) netip.Addr {
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.Addr()
	}
	return addr
}

// handshakeLimit is the first check of /ws/: it refuses a handshake from a
// client address over HANDSHAKE_RATE with 429 too_many_handshakes before
// anything else is read from the request, the token above all, so that a
// flood costs a map lookup per handshake rather than a signature check.
type handshakeLimit struct {
	addrs   clientAddrs
	buckets *addrLimiter
}

func (h *handshakeLimit) check(c *fiber.Ctx) error {
	if !h.buckets.allow(h.addrs.of(c)) {
		return fiber.NewError(fiber.StatusTooManyRequests, "too_many_handshakes")
	}
	return c.Next()
}
