package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// perSource is the most connections dialled from one loopback source
// address. Towards one server port a source address has the ephemeral
// range (32768–60999 by default, 28,232 ports); 10,000 keeps the kernel's
// search for a free port short (it walks the range from a hashed start)
// and leaves every default run (10,000 connections at most) on 127.0.0.1,
// dialled exactly as before.
const perSource = 10000

// maxSources bounds the source addresses: 127.0.0.1 … 127.0.0.254.
const maxSources = 254

// sourceCount is how many source addresses conns connections are spread
// over: 1 up to perSource, then one more per perSource.
func sourceCount(conns int) int {
	return min(max(1, (conns+perSource-1)/perSource), maxSources)
}

// sourceOf is the index of client i's source address among n: round
// robin, so that every address carries the same share all along a dial.
func sourceOf(i, n int) int { return i % n }

// sourceAddr is the k-th source address: 127.0.0.(k+1).
func sourceAddr(k int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 0, 0, byte(k + 1)})
}

// dialFuncs are the dial functions of n source addresses. With one, it is
// dialLoopback, which leaves the source to the kernel (127.0.0.1): the
// runs that fit one address dial as they always have.
func dialFuncs(n int) ([]func(context.Context, string, string) (net.Conn, error), error) {
	if n <= 1 {
		return []func(context.Context, string, string) (net.Conn, error){dialLoopback}, nil
	}
	out := make([]func(context.Context, string, string) (net.Conn, error), n)
	for k := range out {
		d, err := rtnode.DialLoopbackFrom(sourceAddr(k))
		if err != nil {
			return nil, fmt.Errorf("source address %d: %w", k, err)
		}
		out[k] = d
	}
	return out, nil
}
