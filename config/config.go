package config

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Mode says how rt shares rooms and presence between processes.
type Mode string

const (
	// ModeEmbedded keeps everything in this process (REDIS_URL empty).
	ModeEmbedded Mode = "embedded"
	// ModeRedis shares rooms and presence through Redis (REDIS_URL set).
	ModeRedis Mode = "redis"
)

// DefaultJWTSecret is the development secret; rt warns while it is in use.
const DefaultJWTSecret = "change-me"

// Config is every setting rt reads at start. Durations are already parsed and
// origins already normalised.
//
// The env tags name the variables and their defaults; Load also uses them to
// name the variable in error messages. An empty variable counts as unset and
// gets the default, except JWT_SECRET (see Load).
type Config struct {
	Host      string `env:"HOST" envDefault:"127.0.0.1"`
	Port      int    `env:"PORT" envDefault:"8000"`
	RedisURL  string `env:"REDIS_URL"`
	JWTSecret string `env:"JWT_SECRET" envDefault:"change-me"`
	JWTAlg    string `env:"JWT_ALG" envDefault:"HS256"`
	// JWTPublicKey is the PEM text of the verification key for the
	// asymmetric algorithms (JWT_PUBLIC_KEY may also be a path to a PEM file;
	// Load reads it).
	JWTPublicKey string `env:"JWT_PUBLIC_KEY"`
	// JWTIssuer and JWTAudience, when set, must match the token's iss and
	// aud; JWTLeeway tolerates that much clock skew on exp, nbf and iat.
	JWTIssuer   string        `env:"JWT_ISSUER"`
	JWTAudience string        `env:"JWT_AUDIENCE"`
	JWTLeeway   time.Duration `env:"JWT_LEEWAY"`
	// JWTRequireExp refuses tokens without an exp claim at the handshake.
	JWTRequireExp bool `env:"JWT_REQUIRE_EXP" envDefault:"false"`
	// AllowedOrigins are normalised (NormalizeOrigin) and free of duplicates.
	AllowedOrigins    []string      `env:"ALLOWED_ORIGINS" envDefault:"http://localhost:8000"`
	PresenceTTL       time.Duration `env:"PRESENCE_TTL" envDefault:"60"`
	HeartbeatInterval time.Duration `env:"HEARTBEAT_INTERVAL" envDefault:"25"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT" envDefault:"70"`
	// MaxFrameBytes is the largest frame a client may send; larger closes with 1009.
	MaxFrameBytes int `env:"MAX_FRAME_BYTES" envDefault:"65536"`
	// MaxMessageBytes bounds one chat message: its text plus its encoded
	// data, in bytes. MAX_TEXT_BYTES, its name before messages had data,
	// is still read (Load).
	MaxMessageBytes int `env:"MAX_MESSAGE_BYTES" envDefault:"4096"`
	// SendQueue is how many outbound frames a connection may have waiting;
	// one more closes it with 4002.
	SendQueue int `env:"SEND_QUEUE" envDefault:"256"`
	// SendQueueBytes bounds the bytes a connection may have waiting, history
	// pages and replays included; past it the connection is closed with 4002
	// (a history page or a recovery page waits for room instead).
	SendQueueBytes int `env:"SEND_QUEUE_BYTES" envDefault:"1048576"`
	// MaxQueuedBytes caps the bytes waiting in all of this node's send
	// queues together (each socket counted apart, shared frames included);
	// past it the sockets with the most waiting are closed with 4002 first.
	MaxQueuedBytes int64 `env:"MAX_QUEUED_BYTES" envDefault:"1073741824"`
	// HistorySize is how many recent chat messages each room keeps for
	// recovery and scrollback (0 turns history off); HistoryTTL is the
	// longest a message is kept.
	HistorySize int           `env:"HISTORY_SIZE" envDefault:"200"`
	HistoryTTL  time.Duration `env:"HISTORY_TTL" envDefault:"1h"`
	// HistoryBudget is how many bytes of history one user may read per
	// second on this node, scrollback pages and since replays together;
	// HistoryBudgetBurst how many at once. A read that finds the budget
	// spent waits for it.
	HistoryBudget      int `env:"HISTORY_BUDGET" envDefault:"524288"`
	HistoryBudgetBurst int `env:"HISTORY_BUDGET_BURST" envDefault:"2097152"`
	// WriteTimeout bounds one write to a socket.
	WriteTimeout time.Duration `env:"WRITE_TIMEOUT" envDefault:"10s"`
	// SocketPoller "on" has Linux's epoll watch the sockets, so that a
	// socket holds no goroutine while it waits for its client; "off" reads
	// every socket with a goroutine of its own, as on other systems. Empty
	// (a Config built by hand) is on.
	SocketPoller string `env:"SOCKET_POLLER" envDefault:"on"`
	// RateLimit is how many frames per second a connection may send on
	// average, RateBurst how many at once; excess frames get rate_limited.
	RateLimit float64 `env:"RATE_LIMIT" envDefault:"20"`
	RateBurst int     `env:"RATE_BURST" envDefault:"40"`
	// RateWarnings is how many rate_limited answers within a minute a
	// connection gets before it is closed with 1008.
	RateWarnings int `env:"RATE_WARNINGS" envDefault:"10"`
	// MaxConnsPerUser caps one user's sockets on this node; the next
	// handshake gets 429. MaxConns caps this node's sockets (0 = no cap);
	// the next handshake gets 503.
	MaxConnsPerUser int `env:"MAX_CONNS_PER_USER" envDefault:"16"`
	MaxConns        int `env:"MAX_CONNS" envDefault:"0"`
	// MaxRoomsPerConn caps the rooms one socket may be in at once; the
	// next room.join gets too_many_rooms.
	MaxRoomsPerConn int `env:"MAX_ROOMS_PER_CONN" envDefault:"100"`
	// HandshakeRate is how many handshakes per second one client address
	// may make on average, HandshakeBurst how many at once (0 = no limit);
	// past it the handshake gets 429 before its token is read.
	HandshakeRate  float64 `env:"HANDSHAKE_RATE" envDefault:"20"`
	HandshakeBurst int     `env:"HANDSHAKE_BURST" envDefault:"40"`
	// TrustedProxies are the addresses (IPs or CIDR prefixes) of proxies
	// whose X-Forwarded-For names the client; empty trusts none.
	TrustedProxies []string `env:"TRUSTED_PROXIES"`
	// DemoPage serves the chat page at / (DEMO_PAGE=false turns it off).
	DemoPage bool `env:"DEMO_PAGE" envDefault:"true"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// LogFormat is text (human) or json (one object per line).
	LogFormat string `env:"LOG_FORMAT" envDefault:"text"`
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on this
	// host:port, a listener of its own; keep it on loopback.
	DebugAddr string `env:"DEBUG_ADDR"`
	// APIAddr, when set, serves the server API (publish, presence, history,
	// disconnect) on this host:port, a listener of its own; APIKey is the
	// bearer key every API request but the OpenAPI document must carry.
	APIAddr string `env:"API_ADDR"`
	APIKey  string `env:"API_KEY"`
	// The application's backend in the loop (SPEC §11), each off while its
	// URL is empty: ConnectHookURL is asked before every upgrade and
	// room.join, PublishHookURL before every message is stored, and
	// WebhookURL gets the events (rooms occupied and vacated, presence,
	// messages) at least once. HookSecret signs every request and is
	// required with any of them; HookTimeout bounds one call; with
	// HookFailOpen a hook that fails or times out allows instead of
	// refusing. WebhookBacklog bounds the events waiting for the backend
	// (the oldest are dropped past it); HookConcurrency bounds the calls in
	// flight to the backend at once.
	ConnectHookURL  string        `env:"CONNECT_HOOK_URL"`
	PublishHookURL  string        `env:"PUBLISH_HOOK_URL"`
	WebhookURL      string        `env:"WEBHOOK_URL"`
	HookSecret      string        `env:"HOOK_SECRET"`
	HookTimeout     time.Duration `env:"HOOK_TIMEOUT" envDefault:"2s"`
	HookFailOpen    bool          `env:"HOOK_FAIL_OPEN" envDefault:"false"`
	HookConcurrency int           `env:"HOOK_CONCURRENCY" envDefault:"64"`
	WebhookBacklog  int           `env:"WEBHOOK_BACKLOG" envDefault:"100000"`
	// DrainDelay is how long a stopping node keeps serving while /readyz
	// answers 503 draining, so that a load balancer stops sending it new
	// sockets before it closes the ones it holds; ShutdownSpread is how
	// long it then takes to close those, evenly, so that their clients do
	// not all reconnect to the other nodes in the same second. Zero (a
	// Config built by hand) is no delay and every socket at once.
	DrainDelay     time.Duration `env:"DRAIN_DELAY" envDefault:"5s"`
	ShutdownSpread time.Duration `env:"SHUTDOWN_SPREAD" envDefault:"10s"`
}

// The defaults of the hooks' limits, for a Config built by hand (tests,
// programs embedding rt) that leaves them zero; Load never does.
const (
	DefaultHookTimeout     = 2 * time.Second
	DefaultHookConcurrency = 64
	DefaultWebhookBacklog  = 100_000
)

// HookLimits are HookTimeout, HookConcurrency and WebhookBacklog, each
// its default when not positive: a zero timeout would fail every call,
// and a zero backlog keep one event.
func (c Config) HookLimits() (timeout time.Duration, concurrency, backlog int) {
	timeout, concurrency, backlog = c.HookTimeout, c.HookConcurrency, c.WebhookBacklog
	if timeout <= 0 {
		timeout = DefaultHookTimeout
	}
	if concurrency <= 0 {
		concurrency = DefaultHookConcurrency
	}
	if backlog <= 0 {
		backlog = DefaultWebhookBacklog
	}
	return timeout, concurrency, backlog
}

// PollSockets says whether sockets are read through the poller
// (SOCKET_POLLER).
func (c Config) PollSockets() bool { return c.SocketPoller != "off" }

// Hooked reports whether any hook or webhook URL is set.
func (c Config) Hooked() bool {
	return c.ConnectHookURL != "" || c.PublishHookURL != "" || c.WebhookURL != ""
}

// Mode reports embedded or redis, from REDIS_URL.
func (c Config) Mode() Mode {
	if c.RedisURL == "" {
		return ModeEmbedded
	}
	return ModeRedis
}

// Addr is the listen address host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// TrustedPrefixes are TrustedProxies parsed, a single IP as a prefix of
// its full length. Load has checked every entry; one that does not parse
// (a Config built by hand) is left out, trusting less rather than more.
func (c Config) TrustedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		if p, ok := parseProxy(s); ok {
			out = append(out, p)
		}
	}
	return out
}

// parseProxy reads one TRUSTED_PROXIES entry: an IP or a CIDR prefix. An
// IPv4-mapped IPv6 address is taken as the IPv4 address it maps, as the
// server sees its peers.
func parseProxy(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// asymmetricAlgs verify with JWT_PUBLIC_KEY instead of JWT_SECRET.
var asymmetricAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true, "EdDSA": true,
}

// Asymmetric reports whether JWT_ALG verifies with a public key.
func (c Config) Asymmetric() bool { return asymmetricAlgs[c.JWTAlg] }

// hmacKeyBytes is the hash size of each accepted algorithm. RFC 7518 §3.2
// requires an HMAC key at least that long; shorter keys are easier to guess.
var hmacKeyBytes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// Warnings lists settings that are valid but unsafe outside development. They
// never contain a secret itself.
func (c Config) Warnings() []string {
	var w []string
	switch {
	case c.Asymmetric():
	case c.JWTSecret == DefaultJWTSecret:
		w = append(w, "JWT_SECRET is the default development secret; set your own before exposing rt")
	case len(c.JWTSecret) < hmacKeyBytes[c.JWTAlg]:
		n := hmacKeyBytes[c.JWTAlg]
		w = append(w, "JWT_SECRET is shorter than "+strconv.Itoa(n)+" bytes; "+
			c.JWTAlg+" wants a key at least as long as its hash (RFC 7518 §3.2)")
	}
	if c.APIAddr != "" && !loopbackAddr(c.APIAddr) {
		w = append(w, "API_ADDR="+c.APIAddr+" is not a loopback address: the server API speaks plain HTTP, "+
			"so its key and messages cross the network in clear; put a TLS proxy in front of it or keep it on 127.0.0.1")
	}
	return w
}

// loopbackAddr reports whether host:port listens on loopback only: localhost
// or a loopback IP (an empty host or 0.0.0.0 listens everywhere).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
