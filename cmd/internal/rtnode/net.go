package rtnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
)

// FreePort asks the kernel for an unused loopback port. Another process
// could take it before the server binds; the ready check would then fail.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(Loopback, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// DialLoopback is the only way these programs open a connection: it
// refuses any address that is not a loopback IP literal.
func DialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("refusing to connect to %q: only loopback is allowed", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// DialLoopbackFrom is DialLoopback from the loopback address src: one
// source address has only the ephemeral port range (about 28,000 ports)
// towards one server port, so a run of more connections than that spreads
// them over 127.0.0.2, 127.0.0.3… (all of 127/8 is loopback on Linux).
// The port is still picked at connect (IP_BIND_ADDRESS_NO_PORT where the
// system has it), so ports held by closed connections of an earlier run
// towards another server port do not count against it.
func DialLoopbackFrom(src netip.Addr) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	if !src.IsLoopback() {
		return nil, fmt.Errorf("refusing source address %s: only loopback is allowed", src)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Control: bindAddressNoPort}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("refusing to connect to %q: only loopback is allowed", addr)
		}
		return d.DialContext(ctx, network, addr)
	}, nil
}

// WSURL is a node's handshake URL for room on port, as tok, asking to
// recover after since when it is not empty.
func WSURL(port int, room, tok, since string) string {
	q := url.Values{"token": {tok}}
	if since != "" {
		q.Set("since", since)
	}
	return fmt.Sprintf("ws://%s/ws/%s?%s", net.JoinHostPort(Loopback, strconv.Itoa(port)), room, q.Encode())
}

// DialFailure names the cause of a dial that got no answer, without its
// addresses, so that failures group: "connection refused", "timeout"…, or
// "other: " and the error.
func DialFailure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no free local port"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other: " + err.Error()
}

// CheckRedisURL accepts an empty URL (embedded mode) or a redis URL whose
// host is a loopback IP literal: the server must not reach anything else.
func CheckRedisURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return fmt.Errorf("-redis must be a redis:// or rediss:// URL")
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-redis host %q refused: only a loopback IP (e.g. 127.0.0.1) is allowed", u.Hostname())
	}
	return nil
}
