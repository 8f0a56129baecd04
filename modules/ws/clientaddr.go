package ws

import (
	"bytes"
	"net/netip"

	"github.com/gofiber/fiber/v2"
)

// clientAddrs names the client a handshake comes from: the TCP peer, or,
// when the peer is one of TRUSTED_PROXIES, the client its X-Forwarded-For
// names. Only a trusted peer's header is read: anyone else could write any
// address there.
type clientAddrs struct{ trusted []netip.Prefix }

// of is the client address of the request c.
func (a clientAddrs) of(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !a.trusts(peer) {
		return peer
	}
	return a.forwarded(peer, c.Request().Header.PeekAll(fiber.HeaderXForwardedFor))
}

// forwarded reads the X-Forwarded-For values a trusted peer sent, in the
// order received, from the right: each proxy appends the address it got
// the request from, so the rightmost address that is not a trusted proxy
// is the last one a trusted proxy vouches for; anything left of it was
// written by the client. A malformed entry met on the way means the chain
// cannot be read, and the peer itself is used. When every address is a
// trusted proxy, the leftmost is the client (a client on the proxies'
// own network); with no header at all, the peer is.
func (a clientAddrs) forwarded(peer netip.Addr, values [][]byte) netip.Addr {
	client := peer
	for i := len(values) - 1; i >= 0; i-- {
		entries := bytes.Split(values[i], []byte{','})
		for j := len(entries) - 1; j >= 0; j-- {
			ip, err := netip.ParseAddr(string(bytes.TrimSpace(entries[j])))
			if err != nil {
				return peer
			}
			ip = ip.Unmap().WithZone("")
			if !a.trusts(ip) {
				return ip
			}
			client = ip
		}
	}
	return client
}

func (a clientAddrs) trusts(ip netip.Addr) bool {
	for _, p := range a.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
