package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// rule is a check on one parsed field. Its text is also the message when the
// value does not parse at all, so "abc" and "0" get the same advice.
type rule struct {
	text string
	ok   func(c *Config) bool
}

const (
	durationRule       = "must be a positive duration: seconds (25, 1.5) or Go syntax (25s, 500ms)"
	durationOrZeroRule = "must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)"
)

// rules holds the single-field checks; REDIS_URL, JWT_SECRET, ALLOWED_ORIGINS
// and the heartbeat/idle pair need more than a yes/no and have functions below.
var rules = map[string]rule{
	"HOST": {"must be an IP address or a host name, without a port",
		func(c *Config) bool { return validListenHost(c.Host) }},
	"PORT": {"must be an integer from 1 to 65535",
		func(c *Config) bool { return c.Port >= 1 && c.Port <= 65535 }},
	"JWT_ALG": {"must be HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA",
		func(c *Config) bool { _, ok := hmacKeyBytes[c.JWTAlg]; return ok || asymmetricAlgs[c.JWTAlg] }},
	"PRESENCE_TTL":       {durationRule, func(c *Config) bool { return c.PresenceTTL > 0 }},
	"HEARTBEAT_INTERVAL": {durationRule, func(c *Config) bool { return c.HeartbeatInterval > 0 }},
	"IDLE_TIMEOUT":       {durationRule, func(c *Config) bool { return c.IdleTimeout > 0 }},
	"WRITE_TIMEOUT":      {durationRule, func(c *Config) bool { return c.WriteTimeout > 0 }},
	"JWT_LEEWAY":         {durationOrZeroRule, func(c *Config) bool { return c.JWTLeeway >= 0 }},
	"DRAIN_DELAY":        {durationOrZeroRule, func(c *Config) bool { return c.DrainDelay >= 0 }},
	"SHUTDOWN_SPREAD":    {durationOrZeroRule, func(c *Config) bool { return c.ShutdownSpread >= 0 }},
	"MAX_FRAME_BYTES": {"must be an integer of at least 1024",
		func(c *Config) bool { return c.MaxFrameBytes >= 1024 }},
	"MAX_MESSAGE_BYTES": {"must be an integer of at least 1",
		func(c *Config) bool { return c.MaxMessageBytes >= 1 }},
	"MAX_ROOMS_PER_CONN": {"must be an integer of at least 1",
		func(c *Config) bool { return c.MaxRoomsPerConn >= 1 }},
	"SEND_QUEUE": {"must be an integer of at least 1",
		func(c *Config) bool { return c.SendQueue >= 1 }},
	"SEND_QUEUE_BYTES": {"must be an integer of at least 65536",
		func(c *Config) bool { return c.SendQueueBytes >= 65536 }},
	"MAX_QUEUED_BYTES": {"must be an integer of at least 1048576",
		func(c *Config) bool { return c.MaxQueuedBytes >= 1<<20 }},
	"HISTORY_BUDGET": {"must be an integer of at least 16384 (bytes per second)",
		func(c *Config) bool { return c.HistoryBudget >= 16384 }},
	"HISTORY_BUDGET_BURST": {"must be an integer of at least 65536",
		func(c *Config) bool { return c.HistoryBudgetBurst >= 65536 }},
	"HANDSHAKE_RATE": {"must be a number of handshakes per second of at least 0 (0 means no limit)",
		func(c *Config) bool { return c.HandshakeRate >= 0 }},
	"HANDSHAKE_BURST": {"must be an integer of at least 1",
		func(c *Config) bool { return c.HandshakeBurst >= 1 }},
	"HISTORY_SIZE": {"must be an integer from 0 (history off) to 100000",
		func(c *Config) bool { return c.HistorySize >= 0 && c.HistorySize <= 100000 }},
	"HISTORY_TTL": {durationRule, func(c *Config) bool { return c.HistoryTTL > 0 }},
	"RATE_LIMIT": {"must be a number of frames per second above 0",
		func(c *Config) bool { return c.RateLimit > 0 }},
	"RATE_BURST": {"must be an integer of at least 1",
		func(c *Config) bool { return c.RateBurst >= 1 }},
	"RATE_WARNINGS": {"must be an integer of at least 1",
		func(c *Config) bool { return c.RateWarnings >= 1 }},
	"MAX_CONNS_PER_USER": {"must be an integer of at least 1",
		func(c *Config) bool { return c.MaxConnsPerUser >= 1 }},
	"MAX_CONNS": {"must be an integer of at least 0 (0 means no limit)",
		func(c *Config) bool { return c.MaxConns >= 0 }},
	"JWT_REQUIRE_EXP": {"must be true or false",
		func(*Config) bool { return true }},
	"DEMO_PAGE": {"must be true or false",
		func(*Config) bool { return true }},
	"LOG_LEVEL": {"must be debug, info, warn or error",
		func(c *Config) bool { return oneOf(c.LogLevel, "debug", "info", "warn", "error") }},
	"SOCKET_POLLER": {"must be on or off",
		func(c *Config) bool { return oneOf(c.SocketPoller, "on", "off") }},
	"LOG_FORMAT": {"must be text or json",
		func(c *Config) bool { return oneOf(c.LogFormat, "text", "json") }},
	"DEBUG_ADDR": {"must be empty or host:port with a port from 1 to 65535",
		func(c *Config) bool { return c.DebugAddr == "" || validHostPort(c.DebugAddr) }},
	"HOOK_TIMEOUT": {durationRule, func(c *Config) bool { return c.HookTimeout > 0 }},
	"HOOK_FAIL_OPEN": {"must be true or false",
		func(*Config) bool { return true }},
	"HOOK_CONCURRENCY": {"must be an integer from 1 to 10000",
		func(c *Config) bool { return c.HookConcurrency >= 1 && c.HookConcurrency <= 10000 }},
	"WEBHOOK_BACKLOG": {"must be an integer from 1 to 100000000",
		func(c *Config) bool { return c.WebhookBacklog >= 1 && c.WebhookBacklog <= 100_000_000 }},
	"API_ADDR": {"must be empty (the server API off) or host:port with a port from 1 to 65535",
		func(c *Config) bool { return c.APIAddr == "" || validHostPort(c.APIAddr) }},
}

// MinAPIKeyBytes is the shortest API_KEY accepted: the key is all that
// stands between the network and publishing as anyone.
const MinAPIKeyBytes = 16

// validHostPort accepts host:port with a listenable host and a port from 1
// to 65535.
func validHostPort(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535 && validListenHost(host)
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// check runs every rule on c, skipping variables that already failed to parse,
// and normalises c.AllowedOrigins in place.
func check(c *Config, p *problems) {
	for _, v := range variables {
		if r, ok := rules[v.name]; ok && !p.has(v.name) && !r.ok(c) {
			p.add(v.name, r.text)
		}
	}
	checkSecret(p)
	checkPublicKey(c, p)
	checkAPIKey(c, p)
	checkHooks(c, p)
	if rule := redisURLRule(c.RedisURL); rule != "" {
		p.add("REDIS_URL", rule)
	}
	checkOrigins(c, p)
	if need := 2 * protocol.MaxDeliveryBytes(c.MaxMessageBytes); !p.has("SEND_QUEUE_BYTES") && !p.has("MAX_MESSAGE_BYTES") && c.SendQueueBytes < need {
		// A history page takes at most half the queue and holds at least one
		// message, so half must hold the largest one.
		p.addLine("SEND_QUEUE_BYTES", fmt.Sprintf("SEND_QUEUE_BYTES=%d must hold two of the largest chat.delivery frames MAX_MESSAGE_BYTES=%d allows: at least %d",
			c.SendQueueBytes, c.MaxMessageBytes, need))
	}
	checkTrustedProxies(c, p)
	if !p.has("HEARTBEAT_INTERVAL") && !p.has("IDLE_TIMEOUT") && c.HeartbeatInterval >= c.IdleTimeout {
		p.addLine("HEARTBEAT_INTERVAL", fmt.Sprintf("HEARTBEAT_INTERVAL=%s must be shorter than IDLE_TIMEOUT=%s",
			c.HeartbeatInterval, c.IdleTimeout))
	}
}

// plainSeconds is the SPEC's "25": a bare number of seconds.
var plainSeconds = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// parseDuration reads plain seconds or a Go duration. Plain seconds become Go
// syntax ("25" -> "25s") so time.ParseDuration does the exact decimal maths
// and the overflow check. Zero parses: the rules say which durations may be
// 0 (JWT_LEEWAY, DRAIN_DELAY, SHUTDOWN_SPREAD) and which must be positive.
func parseDuration(s string) (any, error) {
	if plainSeconds.MatchString(s) {
		s += "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, err
	}
	if d < 0 {
		return nil, errors.New("negative")
	}
	return d, nil
}

// checkSecret rejects an explicitly empty or blank JWT_SECRET: env would turn
// an empty one into the public default, hiding a secret store that failed.
func checkSecret(p *problems) {
	if v, set := p.environ["JWT_SECRET"]; set && strings.TrimSpace(v) == "" {
		p.add("JWT_SECRET", "must not be empty or blank; unset it to use the development default")
	}
}

// checkAPIKey requires API_KEY whenever API_ADDR is set. The key travels
// in an Authorization header (Bearer), so it must be printable ASCII
// without spaces, and it must be long enough not to be guessed. Without
// API_ADDR the key is not used and not checked.
func checkAPIKey(c *Config, p *problems) {
	if c.APIAddr == "" {
		return
	}
	switch key := c.APIKey; {
	case key == "":
		p.add("API_KEY", "must be set when API_ADDR is set (every request to the server API carries it as Authorization: Bearer <API_KEY>)")
	case len(key) < MinAPIKeyBytes:
		p.add("API_KEY", "must be at least "+strconv.Itoa(MinAPIKeyBytes)+" characters")
	case strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }):
		p.add("API_KEY", "must be printable ASCII without spaces (it is sent in an HTTP header)")
	}
}

// MinHookSecretBytes is the shortest HOOK_SECRET accepted: the secret is
// all that tells the backend a request came from rt.
const MinHookSecretBytes = 16

// checkHooks requires each hook URL to be an absolute http(s) URL, and
// HOOK_SECRET whenever one is set: an unsigned request could come from
// anyone. Without a URL the secret is not used and not checked.
func checkHooks(c *Config, p *problems) {
	for name, raw := range map[string]string{
		"CONNECT_HOOK_URL": c.ConnectHookURL, "PUBLISH_HOOK_URL": c.PublishHookURL, "WEBHOOK_URL": c.WebhookURL,
	} {
		if rule := hookURLRule(raw); rule != "" {
			p.add(name, rule)
		}
	}
	if !c.Hooked() {
		return
	}
	switch secret := c.HookSecret; {
	case secret == "":
		p.add("HOOK_SECRET", "must be set when CONNECT_HOOK_URL, PUBLISH_HOOK_URL or WEBHOOK_URL is set (it signs every request rt makes to them)")
	case len(secret) < MinHookSecretBytes:
		p.add("HOOK_SECRET", "must be at least "+strconv.Itoa(MinHookSecretBytes)+" characters")
	}
}

// hookURLRule returns the rule raw breaks, or "" if it is fine or empty.
// Like redisURLRule it never quotes url.Parse's error, which would show a
// password in the URL.
func hookURLRule(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "must be a URL like https://backend.example/rt/hook"
	case u.Scheme != "http" && u.Scheme != "https":
		return "scheme must be http or https"
	case u.Host == "" || u.Hostname() == "":
		return "must name a host, like https://backend.example/rt/hook"
	case u.Fragment != "":
		return "must not have a #fragment"
	}
	return ""
}

// redisURLRule returns the rule raw breaks, or "" if it is fine or empty.
// Messages never include url.Parse's error, which quotes the raw URL and with
// it the password.
func redisURLRule(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "must be a URL like redis://[user:pass@]host[:port][/db]"
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return "scheme must be redis or rediss"
	case u.Hostname() == "":
		return "must name a host, like redis://host:6379"
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if _, err := strconv.ParseUint(db, 10, 16); err != nil {
			return fmt.Sprintf("invalid database number: %q", db)
		}
	}
	// What else the URL may say (query options) is read by the redis
	// module when it connects, which names REDIS_URL if it refuses it: the
	// configuration, read by every node, links no Redis client.
	return ""
}

// checkOrigins trims, normalises and de-duplicates ALLOWED_ORIGINS, keeping
// the first occurrence so the order stays the operator's.
func checkOrigins(c *Config, p *problems) {
	var out, bad []string
	seen := make(map[string]bool)
	for _, s := range c.AllowedOrigins {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		o, err := NormalizeOrigin(s)
		if err != nil {
			bad = append(bad, err.Error())
		} else if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	switch {
	case len(bad) > 0:
		p.add("ALLOWED_ORIGINS", "want a comma list of http(s)://host[:port]; "+strings.Join(bad, "; "))
	case len(out) == 0:
		p.add("ALLOWED_ORIGINS", "must list at least one origin, like http://localhost:8000")
	}
	c.AllowedOrigins = out
}

// checkTrustedProxies trims TRUSTED_PROXIES and drops empty entries, like
// ALLOWED_ORIGINS, and refuses any entry that is neither an IP nor a CIDR
// prefix: a typo must not silently trust nobody, or somebody else.
func checkTrustedProxies(c *Config, p *problems) {
	var out, bad []string
	for _, s := range c.TrustedProxies {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, ok := parseProxy(s); !ok {
			bad = append(bad, strconv.Quote(s)+" is not an IP or a CIDR prefix")
		}
		out = append(out, s)
	}
	if len(bad) > 0 {
		p.add("TRUSTED_PROXIES", "want a comma list of IPs or CIDR prefixes (10.0.0.1, 10.0.0.0/8, fd00::/8); "+
			strings.Join(bad, "; "))
	}
	c.TrustedProxies = out
}

// validListenHost accepts what net.JoinHostPort and Listen can use: an IP
// (brackets would be doubled by Addr) or a DNS name.
func validListenHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return validHostname(strings.ToLower(h))
}

// checkPublicKey requires JWT_PUBLIC_KEY for an asymmetric JWT_ALG and reads
// it from a file when it is a path rather than PEM text. Whether the PEM
// holds the right kind of key is checked by the auth module at start.
func checkPublicKey(c *Config, p *problems) {
	if p.has("JWT_ALG") || !c.Asymmetric() {
		return
	}
	key := strings.TrimSpace(c.JWTPublicKey)
	if key == "" {
		p.add("JWT_PUBLIC_KEY", "must be set (PEM text or a path to a PEM file) when JWT_ALG is "+c.JWTAlg)
		return
	}
	if strings.HasPrefix(key, "-----BEGIN") {
		return
	}
	pem, err := os.ReadFile(key)
	if err != nil {
		p.add("JWT_PUBLIC_KEY", "must be PEM text or a readable path to a PEM file")
		return
	}
	c.JWTPublicKey = string(pem)
}
