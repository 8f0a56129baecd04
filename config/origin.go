package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// originError says why a string is not an origin; the value is quoted so
// stray spaces or control characters are visible.
type originError struct{ value, why string }

func (e *originError) Error() string { return fmt.Sprintf("%q is not an origin: %s", e.value, e.why) }

// NormalizeOrigin returns s as scheme://host[:port] in the form browsers send
// in the Origin header: scheme and host lower-cased, IPv6 in canonical form,
// the default port (:80 for http, :443 for https) and one trailing "/" dropped.
// Anything else (a path, query, fragment, userinfo, missing host, another
// scheme, the opaque origin "null", non-ASCII hosts) is an error, because
// allowing it would only ever match by accident. The result is a fixed point:
// NormalizeOrigin(result) == result.
func NormalizeOrigin(s string) (string, error) {
	bad := func(why string) (string, error) { return "", &originError{s, why} }
	if s == "" {
		return bad("it is empty")
	}
	if s == "null" {
		return bad("null is the opaque origin of sandboxed or file pages and is never allowed")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return bad("want scheme://host[:port]")
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return bad("scheme must be http or https")
	}
	rest = strings.TrimSuffix(rest, "/")
	if why := extraPart(rest); why != "" {
		return bad(why)
	}
	host, port, why := splitOrigin(rest)
	if why != "" {
		return bad(why)
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// extraPart names the first part of a URL besides host and port that rest
// (everything after "://") contains, or returns "".
func extraPart(rest string) string {
	switch {
	case strings.Contains(rest, "@"):
		return "it has userinfo (user@)"
	case strings.Contains(rest, "?"):
		return "it has a query"
	case strings.Contains(rest, "#"):
		return "it has a fragment"
	case strings.Contains(rest, "/"):
		return "it has a path"
	}
	return ""
}

// splitOrigin splits host[:port] and normalises both; why is "" on success.
func splitOrigin(rest string) (host, port, why string) {
	host, after := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", "IPv6 host has no closing ]"
		}
		addr, err := netip.ParseAddr(rest[1:end])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return "", "", "host is not a valid IPv6 address"
		}
		host, after = "["+addr.String()+"]", rest[end+1:]
	} else {
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			host, after = rest[:i], rest[i:]
		}
		if host = strings.ToLower(host); host == "" {
			return "", "", "it has no host"
		}
		if !validHostname(host) {
			return "", "", "host must be an ASCII DNS name or IP address (use punycode for IDN)"
		}
	}
	if after == "" {
		return host, "", ""
	}
	if !strings.HasPrefix(after, ":") {
		return "", "", "unexpected text after the host"
	}
	// ParseUint without a base prefix takes digits only: no sign, no "_".
	n, err := strconv.ParseUint(after[1:], 10, 16)
	if err != nil || n == 0 {
		return "", "", "port must be an integer from 1 to 65535"
	}
	return host, strconv.FormatUint(n, 10), ""
}

// validHostname reports whether h (already lower-cased) is a plausible DNS
// name or IPv4 address: dot-separated non-empty labels of [a-z0-9_-]. Browsers
// send IDNs as punycode, so non-ASCII here is a typo or an attack.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" {
			return false
		}
		for _, b := range []byte(label) {
			if !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
				return false
			}
		}
	}
	return true
}
