package server

import (
	"net"
	"net/url"
	"strconv"
)

// Page is a Route that serves a page for people to open in a browser (the
// chat page). When one is mounted and on, the server's "listening" line
// names the URL to open it at.
type Page interface {
	Route
	ServesPage() bool
}

// PageURL is where to open a page served on port so that its sockets are
// accepted: the first origin of allowed (normalised, as ALLOWED_ORIGINS
// holds them) on that port, an http one before an https one, since a page
// only connects from an allowed origin and rt itself serves plain HTTP.
// When no allowed origin is on that port, ok is false and url is where a
// browser on this machine reaches the port (localhost for a loopback or
// unspecified host), which the Origin check will refuse unless the page is
// reached through an allowed origin (a proxy, say).
func PageURL(allowed []string, host string, port int) (page string, ok bool) {
	var https string
	for _, o := range allowed {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || originPort(u) != port {
			continue
		}
		if u.Scheme == "http" {
			return o, true
		}
		if https == "" && u.Scheme == "https" {
			https = o
		}
	}
	if https != "" {
		return https, true
	}
	return "http://" + net.JoinHostPort(browserHost(host), strconv.Itoa(port)), false
}

// originPort is the port an origin's page is served on, the scheme's
// default when it names none.
func originPort(u *url.URL) int {
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return -1
		}
		return n
	}
	switch u.Scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return -1
}

// browserHost is the host a browser on this machine uses to reach a server
// listening on host.
func browserHost(host string) string {
	if host == "" || host == "localhost" {
		return "localhost"
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		return "localhost"
	}
	return host
}
