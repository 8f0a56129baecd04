package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// defaults is what Load returns for an empty environment.
func defaults() Config {
	return Config{
		Host: "127.0.0.1", Port: 8000, JWTSecret: DefaultJWTSecret, JWTAlg: "HS256",
		AllowedOrigins: []string{"http://localhost:8000"},
		PresenceTTL:    60 * time.Second, HeartbeatInterval: 25 * time.Second, IdleTimeout: 70 * time.Second,
		MaxFrameBytes: 65536, MaxMessageBytes: 4096, SendQueue: 256, SendQueueBytes: 1 << 20, MaxQueuedBytes: 1 << 30, WriteTimeout: 10 * time.Second, SocketPoller: "on",
		HistorySize: 200, HistoryTTL: time.Hour, HistoryBudget: 512 << 10, HistoryBudgetBurst: 2 << 20,
		HandshakeRate: 20, HandshakeBurst: 40,
		LogLevel: "info", LogFormat: "text",
		RateLimit: 20, RateBurst: 40, RateWarnings: 10,
		MaxConnsPerUser: 16, MaxRoomsPerConn: 100,
		DemoPage:    true,
		HookTimeout: 2 * time.Second, HookConcurrency: 64, WebhookBacklog: 100000,
		DrainDelay: 5 * time.Second, ShutdownSpread: 10 * time.Second,
	}
}

func TestLoadDefaults(t *testing.T) {
	for _, environ := range []map[string]string{nil, {}, {"PORT": "", "HOST": "", "ALLOWED_ORIGINS": ""}} {
		got, err := Load(environ)
		if err != nil {
			t.Fatalf("Load(%v): %v", environ, err)
		}
		if !reflect.DeepEqual(got, defaults()) {
			t.Errorf("Load(%v) = %+v, want %+v", environ, got, defaults())
		}
		if got.Mode() != ModeEmbedded || got.Addr() != "127.0.0.1:8000" {
			t.Errorf("Mode, Addr = %v, %v", got.Mode(), got.Addr())
		}
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want func(c *Config) // applied to defaults()
	}{
		{map[string]string{"HOST": "0.0.0.0"}, func(c *Config) { c.Host = "0.0.0.0" }},
		{map[string]string{"HOST": "::1"}, func(c *Config) { c.Host = "::1" }},
		{map[string]string{"HOST": "My-Box.local"}, func(c *Config) { c.Host = "My-Box.local" }},
		{map[string]string{"PORT": "1"}, func(c *Config) { c.Port = 1 }},
		{map[string]string{"PORT": "65535"}, func(c *Config) { c.Port = 65535 }},
		{map[string]string{"REDIS_URL": "redis://localhost:6379"}, func(c *Config) { c.RedisURL = "redis://localhost:6379" }},
		{map[string]string{"REDIS_URL": "rediss://u:p@r.example:6380/2"}, func(c *Config) { c.RedisURL = "rediss://u:p@r.example:6380/2" }},
		{map[string]string{"JWT_SECRET": "x"}, func(c *Config) { c.JWTSecret = "x" }},
		{map[string]string{"JWT_ALG": "HS384"}, func(c *Config) { c.JWTAlg = "HS384" }},
		{map[string]string{"JWT_ALG": "HS512"}, func(c *Config) { c.JWTAlg = "HS512" }},
		{map[string]string{"ALLOWED_ORIGINS": " HTTPS://App.Example:443/ , http://localhost:8000,,https://app.example"},
			func(c *Config) { c.AllowedOrigins = []string{"https://app.example", "http://localhost:8000"} }},
		{map[string]string{"ALLOWED_ORIGINS": "http://[::1]:8080"}, func(c *Config) { c.AllowedOrigins = []string{"http://[::1]:8080"} }},
		{map[string]string{"PRESENCE_TTL": "1.5"}, func(c *Config) { c.PresenceTTL = 1500 * time.Millisecond }},
		{map[string]string{"PRESENCE_TTL": "2m"}, func(c *Config) { c.PresenceTTL = 2 * time.Minute }},
		{map[string]string{"HEARTBEAT_INTERVAL": "500ms"}, func(c *Config) { c.HeartbeatInterval = 500 * time.Millisecond }},
		{map[string]string{"HEARTBEAT_INTERVAL": "69.999"}, func(c *Config) { c.HeartbeatInterval = 69999 * time.Millisecond }},
		{map[string]string{"IDLE_TIMEOUT": "26"}, func(c *Config) { c.IdleTimeout = 26 * time.Second }},
		{map[string]string{"MAX_FRAME_BYTES": "1024"}, func(c *Config) { c.MaxFrameBytes = 1024 }},
		{map[string]string{"MAX_TEXT_BYTES": "1"}, func(c *Config) { c.MaxMessageBytes = 1 }},
		{map[string]string{"MAX_MESSAGE_BYTES": "2"}, func(c *Config) { c.MaxMessageBytes = 2 }},
		{map[string]string{"MAX_MESSAGE_BYTES": "3", "MAX_TEXT_BYTES": "3"}, func(c *Config) { c.MaxMessageBytes = 3 }},
		{map[string]string{"MAX_ROOMS_PER_CONN": "5"}, func(c *Config) { c.MaxRoomsPerConn = 5 }},
		{map[string]string{"SEND_QUEUE": "1", "HISTORY_SIZE": "0"}, func(c *Config) { c.SendQueue, c.HistorySize = 1, 0 }},
		{map[string]string{"SEND_QUEUE": "1", "HISTORY_SIZE": "1000"}, func(c *Config) { c.SendQueue, c.HistorySize = 1, 1000 }}, // a replay does not count toward the queue
		{map[string]string{"SEND_QUEUE": "500", "HISTORY_SIZE": "500", "HISTORY_TTL": "90"}, func(c *Config) { c.SendQueue, c.HistorySize, c.HistoryTTL = 500, 500, 90*time.Second }},
		{map[string]string{"RATE_LIMIT": "2.5", "RATE_BURST": "5", "RATE_WARNINGS": "3"}, func(c *Config) { c.RateLimit, c.RateBurst, c.RateWarnings = 2.5, 5, 3 }},
		{map[string]string{"MAX_CONNS_PER_USER": "2", "MAX_CONNS": "100"}, func(c *Config) { c.MaxConnsPerUser, c.MaxConns = 2, 100 }},
		{map[string]string{"JWT_REQUIRE_EXP": "true"}, func(c *Config) { c.JWTRequireExp = true }},
		{map[string]string{"DEMO_PAGE": "false"}, func(c *Config) { c.DemoPage = false }},
		{map[string]string{"LOG_LEVEL": "debug", "LOG_FORMAT": "json"}, func(c *Config) { c.LogLevel, c.LogFormat = "debug", "json" }},
		{map[string]string{"DEBUG_ADDR": "127.0.0.1:6060"}, func(c *Config) { c.DebugAddr = "127.0.0.1:6060" }},
		{map[string]string{"WRITE_TIMEOUT": "3"}, func(c *Config) { c.WriteTimeout = 3 * time.Second }},
		{map[string]string{"DRAIN_DELAY": "0", "SHUTDOWN_SPREAD": "0s"}, func(c *Config) { c.DrainDelay, c.ShutdownSpread = 0, 0 }},
		{map[string]string{"DRAIN_DELAY": "2.5", "SHUTDOWN_SPREAD": "1m"}, func(c *Config) { c.DrainDelay, c.ShutdownSpread = 2500*time.Millisecond, time.Minute }},
		{map[string]string{"JWT_LEEWAY": "0"}, func(c *Config) { c.JWTLeeway = 0 }},
		{map[string]string{"JWT_LEEWAY": "30"}, func(c *Config) { c.JWTLeeway = 30 * time.Second }},
		{map[string]string{"SOCKET_POLLER": "off"}, func(c *Config) { c.SocketPoller = "off" }},
		{map[string]string{"API_ADDR": "127.0.0.1:8001", "API_KEY": "0123456789abcdef"},
			func(c *Config) { c.APIAddr, c.APIKey = "127.0.0.1:8001", "0123456789abcdef" }},
		{map[string]string{"API_ADDR": "[::1]:8001", "API_KEY": "k3y~with+punct/=" + strings.Repeat("x", 40)},
			func(c *Config) { c.APIAddr, c.APIKey = "[::1]:8001", "k3y~with+punct/="+strings.Repeat("x", 40) }},
		{map[string]string{"HANDSHAKE_RATE": "0", "HANDSHAKE_BURST": "1"}, func(c *Config) { c.HandshakeRate, c.HandshakeBurst = 0, 1 }},
		{map[string]string{"TRUSTED_PROXIES": " 10.0.0.1 , 10.0.0.0/8,,fd00::/8, ::1 ,192.168.1.7/24"},
			func(c *Config) {
				c.TrustedProxies = []string{"10.0.0.1", "10.0.0.0/8", "fd00::/8", "::1", "192.168.1.7/24"}
			}},
		{map[string]string{"TRUSTED_PROXIES": " , "}, func(c *Config) {}},
		// Without API_ADDR the API is off and its key is neither used nor checked.
		{map[string]string{"API_KEY": "short"}, func(c *Config) { c.APIKey = "short" }},
	}
	for _, tt := range tests {
		want := defaults()
		tt.want(&want)
		got, err := Load(tt.env)
		if err != nil {
			t.Errorf("Load(%v): %v", tt.env, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("Load(%v) = %+v, want %+v", tt.env, got, want)
		}
	}
}

func TestLoadInvalid(t *testing.T) {
	const dur = ": " + durationRule
	tests := []struct{ name, value, want string }{
		{"HOST", "[::1]", `HOST="[::1]": must be an IP address or a host name, without a port`},
		{"HOST", "example.com:80", `HOST="example.com:80": must be an IP address or a host name, without a port`},
		{"PORT", "abc", `PORT="abc": must be an integer from 1 to 65535`},
		{"PORT", "0", `PORT="0": must be an integer from 1 to 65535`},
		{"PORT", "65536", `PORT="65536": must be an integer from 1 to 65535`},
		{"PORT", "-1", `PORT="-1": must be an integer from 1 to 65535`},
		{"REDIS_URL", "http://h:6379", `REDIS_URL="http://h:6379": scheme must be redis or rediss`},
		{"REDIS_URL", "unix:///tmp/r.sock", `REDIS_URL="unix:///tmp/r.sock": scheme must be redis or rediss`},
		{"REDIS_URL", "redis://", `REDIS_URL="redis://": must name a host, like redis://host:6379`},
		{"REDIS_URL", "redis://h:x", `REDIS_URL="redis://h:x": must be a URL like redis://[user:pass@]host[:port][/db]`},
		{"REDIS_URL", "redis://h/zero", `REDIS_URL="redis://h/zero": invalid database number: "zero"`},
		{"JWT_SECRET", "", `JWT_SECRET=<hidden>: must not be empty or blank; unset it to use the development default`},
		{"JWT_SECRET", "  ", `JWT_SECRET=<hidden>: must not be empty or blank; unset it to use the development default`},
		{"JWT_ALG", "none", `JWT_ALG="none": must be HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA`},
		{"JWT_ALG", "hs256", `JWT_ALG="hs256": must be HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA`},
		{"JWT_ALG", "RS256", `JWT_PUBLIC_KEY="": must be set (PEM text or a path to a PEM file) when JWT_ALG is RS256`},
		{"ALLOWED_ORIGINS", " , ", `ALLOWED_ORIGINS=" , ": must list at least one origin, like http://localhost:8000`},
		{"ALLOWED_ORIGINS", "http://a/b,null", `ALLOWED_ORIGINS="http://a/b,null": want a comma list of http(s)://host[:port]; ` +
			`"http://a/b" is not an origin: it has a path; "null" is not an origin: ` +
			`null is the opaque origin of sandboxed or file pages and is never allowed`},
		{"PRESENCE_TTL", "0", `PRESENCE_TTL="0"` + dur},
		{"PRESENCE_TTL", "-5", `PRESENCE_TTL="-5"` + dur},
		{"PRESENCE_TTL", "-5s", `PRESENCE_TTL="-5s"` + dur},
		{"HEARTBEAT_INTERVAL", "soon", `HEARTBEAT_INTERVAL="soon"` + dur},
		{"HEARTBEAT_INTERVAL", "70", `HEARTBEAT_INTERVAL=1m10s must be shorter than IDLE_TIMEOUT=1m10s`},
		{"IDLE_TIMEOUT", "20s", `HEARTBEAT_INTERVAL=25s must be shorter than IDLE_TIMEOUT=20s`},
		{"IDLE_TIMEOUT", "1e3", `IDLE_TIMEOUT="1e3"` + dur},
		{"WRITE_TIMEOUT", "0s", `WRITE_TIMEOUT="0s"` + dur},
		{"WRITE_TIMEOUT", " 10", `WRITE_TIMEOUT=" 10"` + dur},
		{"WRITE_TIMEOUT", "99999999999999999999", `WRITE_TIMEOUT="99999999999999999999"` + dur},
		{"MAX_FRAME_BYTES", "1023", `MAX_FRAME_BYTES="1023": must be an integer of at least 1024`},
		{"SEND_QUEUE_BYTES", "65535", `SEND_QUEUE_BYTES="65535": must be an integer of at least 65536`},
		{"MAX_MESSAGE_BYTES", "100000", `SEND_QUEUE_BYTES=1048576 must hold two of the largest chat.delivery frames MAX_MESSAGE_BYTES=100000 allows: at least 1203488`},
		{"MAX_TEXT_BYTES", "100000", `SEND_QUEUE_BYTES=1048576 must hold two of the largest chat.delivery frames MAX_MESSAGE_BYTES=100000 allows: at least 1203488`},
		{"MAX_QUEUED_BYTES", "1000", `MAX_QUEUED_BYTES="1000": must be an integer of at least 1048576`},
		{"HISTORY_BUDGET", "0", `HISTORY_BUDGET="0": must be an integer of at least 16384 (bytes per second)`},
		{"HISTORY_BUDGET_BURST", "1k", `HISTORY_BUDGET_BURST="1k": must be an integer of at least 65536`},
		{"HANDSHAKE_RATE", "-1", `HANDSHAKE_RATE="-1": must be a number of handshakes per second of at least 0 (0 means no limit)`},
		{"HANDSHAKE_BURST", "0", `HANDSHAKE_BURST="0": must be an integer of at least 1`},
		{"MAX_FRAME_BYTES", "64k", `MAX_FRAME_BYTES="64k": must be an integer of at least 1024`},
		{"MAX_TEXT_BYTES", "0", `MAX_MESSAGE_BYTES="0": must be an integer of at least 1`},
		{"MAX_ROOMS_PER_CONN", "0", `MAX_ROOMS_PER_CONN="0": must be an integer of at least 1`},
		{"SEND_QUEUE", "-1", `SEND_QUEUE="-1": must be an integer of at least 1`},
		{"LOG_LEVEL", "verbose", `LOG_LEVEL="verbose": must be debug, info, warn or error`},
		{"LOG_FORMAT", "xml", `LOG_FORMAT="xml": must be text or json`},
		{"SOCKET_POLLER", "maybe", `SOCKET_POLLER="maybe": must be on or off`},
		{"DEBUG_ADDR", "6060", `DEBUG_ADDR="6060": must be empty or host:port with a port from 1 to 65535`},
		{"DEBUG_ADDR", "127.0.0.1:0", `DEBUG_ADDR="127.0.0.1:0": must be empty or host:port with a port from 1 to 65535`},
		{"DEBUG_ADDR", "bad host:6060", `DEBUG_ADDR="bad host:6060": must be empty or host:port with a port from 1 to 65535`},
		{"MAX_CONNS_PER_USER", "0", `MAX_CONNS_PER_USER="0": must be an integer of at least 1`},
		{"MAX_CONNS", "-1", `MAX_CONNS="-1": must be an integer of at least 0 (0 means no limit)`},
		{"RATE_LIMIT", "0", `RATE_LIMIT="0": must be a number of frames per second above 0`},
		{"RATE_BURST", "x", `RATE_BURST="x": must be an integer of at least 1`},
		{"RATE_WARNINGS", "0", `RATE_WARNINGS="0": must be an integer of at least 1`},
		{"JWT_LEEWAY", "soon", `JWT_LEEWAY="soon": must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)`},
		{"JWT_LEEWAY", "-1s", `JWT_LEEWAY="-1s": must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)`},
		{"DRAIN_DELAY", "-1", `DRAIN_DELAY="-1": must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)`},
		{"DRAIN_DELAY", "-5s", `DRAIN_DELAY="-5s": must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)`},
		{"DRAIN_DELAY", "soon", `DRAIN_DELAY="soon": must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)`},
		{"SHUTDOWN_SPREAD", "10 s", `SHUTDOWN_SPREAD="10 s": must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)`},
		{"SHUTDOWN_SPREAD", "-0.5", `SHUTDOWN_SPREAD="-0.5": must be a duration of 0 or more: seconds (5, 1.5) or Go syntax (5s, 500ms)`},
		{"PRESENCE_TTL", "0s", `PRESENCE_TTL="0s"` + dur},
		{"JWT_REQUIRE_EXP", "maybe", `JWT_REQUIRE_EXP="maybe": must be true or false`},
		{"DEMO_PAGE", "off", `DEMO_PAGE="off": must be true or false`},
		{"SEND_QUEUE", "1.5", `SEND_QUEUE="1.5": must be an integer of at least 1`},
		{"HISTORY_SIZE", "-1", `HISTORY_SIZE="-1": must be an integer from 0 (history off) to 100000`},
		{"HISTORY_SIZE", "x", `HISTORY_SIZE="x": must be an integer from 0 (history off) to 100000`},
		{"HISTORY_TTL", "0", `HISTORY_TTL="0"` + dur},
		{"HANDSHAKE_RATE", "-1", `HANDSHAKE_RATE="-1": must be a number of handshakes per second of at least 0 (0 means no limit)`},
		{"HANDSHAKE_BURST", "0", `HANDSHAKE_BURST="0": must be an integer of at least 1`},
		{"TRUSTED_PROXIES", "10.0.0.1,proxy.local", `TRUSTED_PROXIES="10.0.0.1,proxy.local": want a comma list of IPs or CIDR prefixes ` +
			`(10.0.0.1, 10.0.0.0/8, fd00::/8); "proxy.local" is not an IP or a CIDR prefix`},
		{"TRUSTED_PROXIES", "10.0.0.1:80, 10.0.0.0/33", `TRUSTED_PROXIES="10.0.0.1:80, 10.0.0.0/33": want a comma list of IPs or CIDR prefixes ` +
			`(10.0.0.1, 10.0.0.0/8, fd00::/8); "10.0.0.1:80" is not an IP or a CIDR prefix; "10.0.0.0/33" is not an IP or a CIDR prefix`},
		{"API_ADDR", "8001", `API_ADDR="8001": must be empty (the server API off) or host:port with a port from 1 to 65535`},
		{"API_ADDR", "127.0.0.1:0", `API_ADDR="127.0.0.1:0": must be empty (the server API off) or host:port with a port from 1 to 65535`},
	}
	for _, tt := range tests {
		environ := map[string]string{tt.name: tt.value}
		if tt.name == "API_ADDR" {
			environ["API_KEY"] = "0123456789abcdef"
		}
		got, err := Load(environ)
		if err == nil {
			t.Errorf("%s=%q: no error, got %+v", tt.name, tt.value, got)
		} else if err.Error() != tt.want {
			t.Errorf("%s=%q:\n got %s\nwant %s", tt.name, tt.value, err, tt.want)
		}
	}
}

func TestTrustedPrefixes(t *testing.T) {
	c := Config{TrustedProxies: []string{"10.0.0.1", "192.168.1.7/24", "::ffff:10.1.2.3", "::ffff:10.9.0.0/112", "fd00::/8", "not-an-ip"}}
	var got []string
	for _, p := range c.TrustedPrefixes() {
		got = append(got, p.String())
	}
	want := []string{"10.0.0.1/32", "192.168.1.0/24", "10.1.2.3/32", "10.9.0.0/16", "fd00::/8"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TrustedPrefixes = %v, want %v", got, want)
	}
}

func TestLoadReportsEveryBadVariableOnce(t *testing.T) {
	_, err := Load(map[string]string{
		"PORT": "abc", "JWT_ALG": "none", "PRESENCE_TTL": "-1", "HEARTBEAT_INTERVAL": "x",
		"IDLE_TIMEOUT": "1", "MAX_FRAME_BYTES": "1", "ALLOWED_ORIGINS": "ftp://x",
	})
	if err == nil {
		t.Fatal("no error")
	}
	// HEARTBEAT_INTERVAL is bad on its own, so the cross rule must not add a
	// second line for it; lines follow the order of Config's fields.
	want := []string{"PORT=", "JWT_ALG=", "ALLOWED_ORIGINS=", "PRESENCE_TTL=", "HEARTBEAT_INTERVAL=", "MAX_FRAME_BYTES="}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), err)
	}
	for i, prefix := range want {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], prefix)
		}
	}
}

func TestLoadNeverShowsSecrets(t *testing.T) {
	const secret, password = "s3cr3t-jwt", "hunter2"
	// The last URL is valid (host "u", port 1, a fragment), so only PORT
	// fails there; it guards against the password leaking some other way.
	for _, redis := range []string{
		"redis://u:" + password + "@h:bad", "redis://u:" + password + "@h/x/y", "http://u:" + password + "@h",
		"redis://" + password + "@h:0x", "redis://u:" + password + "/x@h", "redis://u:1#" + password + "@h",
	} {
		_, err := Load(map[string]string{"JWT_SECRET": secret, "REDIS_URL": redis, "PORT": "x"})
		if err == nil {
			t.Fatalf("REDIS_URL=%q: no error", redis)
		}
		if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, password) {
			t.Errorf("secret leaked: %s", msg)
		}
	}
	// API_KEY is hidden whatever is wrong with it or with anything else.
	for _, key := range []string{"k", "api-key-with a space", "api-key-0123456789", ""} {
		_, err := Load(map[string]string{"API_ADDR": "127.0.0.1:x", "API_KEY": key, "PORT": "x", "JWT_SECRET": secret})
		if err == nil {
			t.Fatalf("API_KEY=%q: no error", key)
		}
		if msg := err.Error(); key != "" && strings.Contains(msg, key) || strings.Contains(msg, secret) {
			t.Errorf("API_KEY=%q leaked: %s", key, msg)
		}
	}
}

// API_KEY is required with API_ADDR, at least 16 characters and fit for
// an Authorization header, and never shown in the message.
func TestLoadAPIKey(t *testing.T) {
	const required = `API_KEY=<hidden>: must be set when API_ADDR is set (every request to the server API carries it as Authorization: Bearer <API_KEY>)`
	const short = `API_KEY=<hidden>: must be at least 16 characters`
	const header = `API_KEY=<hidden>: must be printable ASCII without spaces (it is sent in an HTTP header)`
	for _, tt := range []struct{ addr, key, want string }{
		{"127.0.0.1:8001", "", required},
		{"0.0.0.0:8001", "", required},
		{"127.0.0.1:8001", "fifteen-chars-k", short},
		{"127.0.0.1:8001", "x", short},
		{"127.0.0.1:8001", "   ", short},
		{"127.0.0.1:8001", "sixteen chars ok", header},
		{"127.0.0.1:8001", " 0123456789abcdef", header},
		{"127.0.0.1:8001", "0123456789abcdef\n", header},
		{"127.0.0.1:8001", "0123456789abcdef\x7f", header},
		{"127.0.0.1:8001", "0123456789abcdéf", header},
		{"127.0.0.1:8001", "0123456789abcdef", ""},
		{"", "", ""},
	} {
		_, err := Load(map[string]string{"API_ADDR": tt.addr, "API_KEY": tt.key})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("API_ADDR=%q API_KEY=%q: %v", tt.addr, tt.key, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("API_ADDR=%q API_KEY=%q:\n got %v\nwant %s", tt.addr, tt.key, err, tt.want)
		}
	}
	// A bad API_ADDR and a missing key are two lines, in declaration order.
	_, err := Load(map[string]string{"API_ADDR": "nowhere"})
	if err == nil || !strings.HasPrefix(err.Error(), `API_ADDR="nowhere": `) || !strings.Contains(err.Error(), "\nAPI_KEY=<hidden>: must be set") {
		t.Errorf("bad API_ADDR without a key: %v", err)
	}
}

func TestLoadPublicKey(t *testing.T) {
	const pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"
	path := t.TempDir() + "/key.pem"
	if err := os.WriteFile(path, []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{pem, path} {
		c, err := Load(map[string]string{"JWT_ALG": "EdDSA", "JWT_PUBLIC_KEY": v})
		if err != nil || c.JWTPublicKey != pem {
			t.Fatalf("JWT_PUBLIC_KEY=%q: %q, %v", v, c.JWTPublicKey, err)
		}
	}
	_, err := Load(map[string]string{"JWT_ALG": "RS256", "JWT_PUBLIC_KEY": "/no/such/file.pem"})
	if err == nil || !strings.Contains(err.Error(), "JWT_PUBLIC_KEY") {
		t.Fatalf("missing key file: %v", err)
	}
}

// MAX_TEXT_BYTES is the old name of MAX_MESSAGE_BYTES: both set to
// different values is refused, naming both.
func TestOldAndNewNameDisagree(t *testing.T) {
	_, err := Load(map[string]string{"MAX_TEXT_BYTES": "100", "MAX_MESSAGE_BYTES": "200"})
	want := `MAX_MESSAGE_BYTES="200" and MAX_TEXT_BYTES="100": MAX_TEXT_BYTES is the old name of MAX_MESSAGE_BYTES; set only MAX_MESSAGE_BYTES`
	if err == nil || err.Error() != want {
		t.Fatalf("Load = %v, want %q", err, want)
	}
}
