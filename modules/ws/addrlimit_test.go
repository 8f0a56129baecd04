package ws

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// clock is a test's time: it moves only when the test says so.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(perSecond float64, burst int) (*addrLimiter, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return newAddrLimiter(perSecond, burst, c.now), c
}

func TestAddrLimiterBurstThenRefill(t *testing.T) {
	l, clk := newTestLimiter(20, 40)
	a := netip.MustParseAddr("198.51.100.1")
	for i := range 40 {
		if !l.allow(a) {
			t.Fatalf("handshake %d of the burst refused", i+1)
		}
	}
	if l.allow(a) {
		t.Fatal("the 41st handshake at once was allowed")
	}
	if !l.allow(netip.MustParseAddr("198.51.100.2")) {
		t.Fatal("another address was refused")
	}
	clk.advance(50 * time.Millisecond) // one handshake's worth at 20/s
	if !l.allow(a) || l.allow(a) {
		t.Fatal("50 ms at 20/s should refill exactly one handshake")
	}
	clk.advance(time.Hour) // refills to the burst, no further
	for i := range 40 {
		if !l.allow(a) {
			t.Fatalf("handshake %d after refilling refused", i+1)
		}
	}
	if l.allow(a) {
		t.Fatal("the bucket refilled past its burst")
	}
}

func TestAddrLimiterIPv6CountsPer64(t *testing.T) {
	l, _ := newTestLimiter(1, 2)
	for i := range 2 {
		if !l.allow(netip.MustParseAddr(fmt.Sprintf("2001:db8:1:2::%x", i+1))) {
			t.Fatalf("handshake %d refused", i+1)
		}
	}
	if l.allow(netip.MustParseAddr("2001:db8:1:2:ffff::9")) {
		t.Fatal("another address of the same /64 got a bucket of its own")
	}
	if !l.allow(netip.MustParseAddr("2001:db8:1:3::1")) {
		t.Fatal("another /64 was refused")
	}
}

func TestAddrLimiterDropsRefilledBuckets(t *testing.T) {
	l, clk := newTestLimiter(20, 40)
	busy, idle, other := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.3")
	l.allow(idle)
	clk.advance(sweepEvery - time.Second)
	for range 40 {
		l.allow(busy)
	}
	clk.advance(time.Second) // 20 of busy's 40 back; idle full for long
	l.allow(other)           // the first handshake after sweepEvery sweeps
	if n := l.size(); n != 2 {
		t.Fatalf("%d buckets after the sweep, want 2 (busy, still refilling, and other)", n)
	}
	for i := range 20 {
		if !l.allow(busy) {
			t.Fatalf("handshake %d refused: busy's bucket lost its tokens", i+1)
		}
	}
	if l.allow(busy) {
		t.Fatal("busy's bucket was dropped and came back full")
	}
}

func TestAddrLimiterIsCapped(t *testing.T) {
	l, clk := newTestLimiter(20, 40)
	// Many addresses at once, none of them idle yet: the map stays at its cap.
	base := netip.MustParseAddr("10.0.0.0").As4()
	for i := range maxAddrBuckets + 1000 {
		a := base
		a[1], a[2], a[3] = byte(i>>16), byte(i>>8), byte(i)
		l.allow(netip.AddrFrom4(a))
		l.allow(netip.AddrFrom4(a)) // not full: not swept
	}
	if n := l.size(); n > maxAddrBuckets {
		t.Fatalf("%d buckets, over the cap of %d", n, maxAddrBuckets)
	}
	// Once they have refilled, the next new address, finding the map
	// full, sweeps it.
	clk.advance(sweepWhenFull + 2*time.Second)
	l.allow(netip.MustParseAddr("198.51.100.9"))
	if n := l.size(); n != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", n)
	}
}
