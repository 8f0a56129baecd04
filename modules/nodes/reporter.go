package nodes

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtserver/rt/modules/buildinfo"
	"github.com/rtserver/rt/modules/health/check"
	"github.com/rtserver/rt/modules/hub"
)

// Reporter writes this node's record every Interval and keeps its samples;
// it is the Nodes the admin page asks.
type Reporter struct {
	settings Settings
	store    Store
	hub      *hub.Hub
	gatherer prometheus.Gatherer // nil without the metrics module
	redis    *check.Check        // the Redis readiness check; nil in embedded mode
	shards   Shards              // nil in embedded mode
	log      *slog.Logger

	mu      sync.Mutex
	self    Node // the fixed fields, and the backend as last probed
	last    reading
	samples ring

	stop chan struct{}
	done chan struct{}
}

// newReporter prepares this node's record.
func newReporter(s Settings, store Store, h *hub.Hub, g prometheus.Gatherer, checks []check.Check, shards Shards, log *slog.Logger) *Reporter {
	info := buildinfo.Read()
	r := &Reporter{
		settings: s, store: store, hub: h, gatherer: g, shards: shards, log: log,
		samples: ring{size: max(1, int(s.Window/s.Interval))},
		self: Node{ID: newID(), Version: info.Version, Commit: info.Commit, GoVersion: info.GoVersion,
			StartedAt: time.Now().UnixMilli(), Backend: Backend{Mode: "embedded", Status: "ok"}},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	for i := range checks {
		if checks[i].Name == "redis" {
			r.redis = &checks[i]
		}
	}
	return r
}

// newID names this process: the host's name (a container's or pod's is
// unique) and random hex, so two processes on one host differ too.
func newID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "rt"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return host + "-" + hex.EncodeToString(b)
}

// ID is this node's id.
func (r *Reporter) ID() string { return r.self.ID }

// start names the public listener's address and writes the first record before the node counts as started, so it
// is listed from then on, and reports on every Interval after.
func (r *Reporter) start(ctx context.Context, addr string) error {
	r.mu.Lock()
	r.self.Addr = addr
	r.last = read(r.gatherer, time.Now())
	r.mu.Unlock()
	r.report(ctx)
	go r.loop()
	return nil
}

func (r *Reporter) loop() {
	defer close(r.done)
	t := time.NewTicker(r.settings.Interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.sample()
			ctx, cancel := context.WithTimeout(context.Background(), r.settings.Interval)
			r.report(ctx)
			cancel()
		}
	}
}

// halt ends the reports and removes the record: a node that stops cleanly
// leaves the list at once.
func (r *Reporter) halt(ctx context.Context) error {
	close(r.stop)
	<-r.done
	if err := r.store.Remove(ctx, r.self.ID); err != nil {
		r.log.Warn("node record not removed; it expires by itself", "ttl", r.settings.TTL, "err", err)
	}
	return nil
}

// sample adds the interval since the last reading to the ring.
func (r *Reporter) sample() {
	cur := read(r.gatherer, time.Now())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples.add(sampleBetween(r.last, cur))
	r.last = cur
}

// report probes the backend and writes the record. A failed write is
// logged, not fatal: the page is what misses it, not the clients.
func (r *Reporter) report(ctx context.Context) {
	b := r.probe(ctx)
	r.mu.Lock()
	r.self.Backend = b
	r.mu.Unlock()
	if err := r.store.Put(ctx, r.snapshot(), r.settings.TTL); err != nil {
		r.log.Warn("node record not written", "err", err)
	}
}

// probe asks the backend how it is, as /readyz does.
func (r *Reporter) probe(ctx context.Context) Backend {
	b := Backend{Mode: "embedded", Status: "ok"}
	if r.shards != nil {
		mode, n, err := r.shards(ctx)
		b.Mode, b.Shards = mode, n
		if err != nil {
			b.Status = err.Error()
		}
	}
	if r.redis != nil {
		if err := r.redis.Probe(ctx); err != nil {
			b.Status = err.Error()
			var down interface{ Details() map[string]any }
			if errors.As(err, &down) {
				b.ShardsDown, _ = down.Details()["shards_down"].([]string)
			}
		}
	}
	return b
}

// snapshot is the record as of now: the figures read now, the backend as
// last probed, the samples so far.
func (r *Reporter) snapshot() Node {
	now := read(r.gatherer, time.Now())
	r.mu.Lock()
	n := r.self
	n.Samples = r.samples.all()
	r.mu.Unlock()
	n.LastSeen = now.at.UnixMilli()
	n.Connections, n.Rooms = now.connections, now.rooms
	n.Messages, n.Deliveries = int64(now.published), int64(now.deliveries)
	n.Busiest = r.hub.Busiest(r.settings.Busiest)
	return n
}

// List is every live record, this node's as of now, sorted by id.
func (r *Reporter) List(ctx context.Context) ([]Node, error) {
	stored, err := r.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []Node{r.snapshot()}
	for _, n := range stored {
		if n.ID != r.self.ID {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
