// Package nodes is each rt node's report of itself: every Interval (5 s) a
// node writes a record (its id, version, start time, address, connections,
// rooms, message totals, the state of its backend, its busiest rooms and a
// ring of recent samples) that lives TTL (15 s) unless written again, and
// that it removes when it stops cleanly. A node that dies is gone from the
// list once its record expires. The admin page (modules/admin) lists them.
//
// Where records live is a Store: in memory (embedded mode, where the list is
// this node alone) or in Redis (package redisnodes), which every node of a
// deployment shares. The figures are read from the Prometheus registry's
// own collectors, so the page and /metrics never disagree.
package nodes

import (
	"context"
	"time"

	"github.com/rtserver/rt/modules/hub"
)

// Node is one node's record.
type Node struct {
	ID          string         `json:"id"`
	Version     string         `json:"version"`
	Commit      string         `json:"commit"`
	GoVersion   string         `json:"go"`
	StartedAt   int64          `json:"started_at"` // Unix ms
	LastSeen    int64          `json:"last_seen"`  // Unix ms: when the record was made
	Addr        string         `json:"addr"`       // the public listener, host:port
	Connections int            `json:"connections"`
	Rooms       int            `json:"rooms"`
	Messages    int64          `json:"messages_total"`   // chat messages this node published since it started
	Deliveries  int64          `json:"deliveries_total"` // room frames it queued to its sockets since it started
	Backend     Backend        `json:"backend"`
	Busiest     []hub.RoomSize `json:"busiest,omitempty"` // its rooms with the most local members
	Samples     []Sample       `json:"samples,omitempty"` // oldest first, one every Interval over Window
}

// Backend is what the node says of its backend.
type Backend struct {
	Mode       string   `json:"mode"`                  // embedded, redis or cluster
	Status     string   `json:"status"`                // "ok", or why the readiness check failed
	Shards     int      `json:"shards,omitempty"`      // a cluster's masters serving slots
	ShardsDown []string `json:"shards_down,omitempty"` // those that do not answer
}

// Sample is one point of the node's charts: rates over the Interval that
// ended at At.
type Sample struct {
	At          int64   `json:"t"` // Unix ms
	Messages    float64 `json:"messages"`
	Deliveries  float64 `json:"deliveries"`
	P99         float64 `json:"p99_ms"` // delivery latency's 99th percentile, 0 with nothing delivered
	Connections int     `json:"connections"`
}

// Nodes lists the live nodes of the deployment, this one's record as of
// the call, the others' as they last wrote them; sorted by id.
type Nodes interface {
	List(ctx context.Context) ([]Node, error)
}

// Store keeps the records. Put replaces n's record, which expires after
// ttl; Remove deletes one; List returns the unexpired ones, in any order.
type Store interface {
	Put(ctx context.Context, n Node, ttl time.Duration) error
	Remove(ctx context.Context, id string) error
	List(ctx context.Context) ([]Node, error)
}

// Shards is how a Redis backend describes itself: "redis" or "cluster",
// and a cluster's masters serving slots (0 for a single Redis). Package
// redisnodes provides it in redis mode.
type Shards func(ctx context.Context) (mode string, shards int, err error)

// Settings pace the reports. The defaults are DefaultSettings; tests
// supply shorter ones.
type Settings struct {
	Interval time.Duration // between records and samples
	TTL      time.Duration // a record's life when not written again
	Window   time.Duration // how far back the samples go
	Busiest  int           // how many rooms a record names
}

// DefaultSettings write every 5 s, keep a record 15 s (three missed writes),
// and keep 15 minutes of samples.
var DefaultSettings = Settings{Interval: 5 * time.Second, TTL: 15 * time.Second, Window: 15 * time.Minute, Busiest: 20}
