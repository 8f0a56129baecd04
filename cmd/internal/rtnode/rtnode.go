// Package rtnode is what the programs under cmd/ that drive a real rt
// share: building rt from the module root, starting it as a child process
// on a free loopback port with every setting pinned, stopping it, and the
// loopback-only dialing and signing their clients use.
//
// It lives under cmd/internal so that only those programs can import it:
// it is test machinery, not part of rt.
package rtnode

import (
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// Loopback is the only host a node listens on and a client dials.
	Loopback = "127.0.0.1"
	// JWTSecret is as long as HS256 wants, so the server logs no warning.
	JWTSecret = "rt-load-test-secret-of-32-bytes-or-more"
	// Origin is the one allowed origin; clients send it.
	Origin = "http://localhost:8000"
)

// unset are settings of rt left at their defaults: they are removed from
// the inherited environment rather than given a value.
// API_ADDR and API_KEY among them: an operator's shell that exports them for
// rtctl would otherwise have every node of a run claim the same API port.
// The byte budgets and the history budget too: a binary that has them runs
// with its own defaults, one that has not ignores them, so old and new
// binaries are measured as they ship. (The handshake limit is pinned off in
// Env.) The hooks' tuning likewise: their URLs are pinned empty in Env.
var unset = []string{"JWT_LEEWAY", "JWT_PUBLIC_KEY", "JWT_ISSUER", "JWT_AUDIENCE", "JWT_REQUIRE_EXP",
	"API_ADDR", "API_KEY",
	"SEND_QUEUE_BYTES", "MAX_QUEUED_BYTES", "HISTORY_BUDGET", "HISTORY_BUDGET_BURST",
	"HOOK_TIMEOUT", "HOOK_FAIL_OPEN", "HOOK_CONCURRENCY", "WEBHOOK_BACKLOG"}

// Env pins every setting rt reads, so a variable exported in the caller's
// shell cannot change what a run does; extra overrides them. Everything
// else in the environment (PATH, HOME, GOCACHE…) is passed on.
func Env(port int, redisURL string, extra map[string]string) []string {
	pinned := map[string]string{
		"HOST": Loopback, "PORT": strconv.Itoa(port), "REDIS_URL": redisURL,
		"JWT_SECRET": JWTSecret, "JWT_ALG": "HS256", "ALLOWED_ORIGINS": Origin,
		"SEND_QUEUE": "256", "HEARTBEAT_INTERVAL": "25", "IDLE_TIMEOUT": "70",
		"PRESENCE_TTL": "60", "MAX_FRAME_BYTES": "65536", "MAX_TEXT_BYTES": "4096",
		"WRITE_TIMEOUT": "10s",
		// The server's defaults; programs whose senders are not the flood
		// this guards against raise them.
		"RATE_LIMIT": "20", "RATE_BURST": "40", "RATE_WARNINGS": "10",
		"MAX_CONNS_PER_USER": "16", "MAX_CONNS": "0", "DEMO_PAGE": "false",
		// The per-address handshake limit is off: every client of a run
		// connects from 127.0.0.1, thousands of handshakes in a few
		// seconds, which is what HANDSHAKE_RATE refuses from one address.
		// What the runs measure is the server behind that limit.
		"HANDSHAKE_RATE": "0", "HANDSHAKE_BURST": "40", "TRUSTED_PROXIES": "",
		"LOG_LEVEL": "warn", "LOG_FORMAT": "text",
		// Room history (SPEC §8) at its defaults.
		"HISTORY_SIZE": "200", "HISTORY_TTL": "1h",
		// No hook or webhook (SPEC §11) unless a program asks for one: a
		// URL exported in the shell would put a backend in every call.
		"CONNECT_HOOK_URL": "", "PUBLISH_HOOK_URL": "", "WEBHOOK_URL": "", "HOOK_SECRET": "",
		// No drain: the programs stop their nodes between runs, with no
		// load balancer to tell, and Stop's bound is shorter than the
		// default drain (cmd/load's drain scenario sets its own).
		"DRAIN_DELAY": "0", "SHUTDOWN_SPREAD": "0",
	}
	maps.Copy(pinned, extra)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := pinned[k]; !ok && !slices.Contains(unset, k) {
			env = append(env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(pinned)) {
		env = append(env, k+"="+pinned[k])
	}
	return env
}

// Token is an HS256 token for sub, signed with the nodes' secret.
func Token(sub string) (string, error) {
	claims := jwt.MapClaims{"sub": sub, "iat": time.Now().Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(JWTSecret))
}

// ModeName is how a log line names the mode a redis URL selects.
func ModeName(redisURL string) string {
	if redisURL == "" {
		return "embedded"
	}
	return "redis"
}
