package redisbus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/redis"
)

// Presence is the presence.Store of redis mode; the keys are described in
// wire.go, and in the presence package's doc.
type Presence struct {
	client rueidis.Client
	stats  *redis.Stats
	ttl    string // milliseconds, as the scripts take it
}

var _ presence.Store = (*Presence)(nil)

// minTTL keeps a zero or negative ttl from deleting entries as they are
// written; config rejects such values, this only guards direct callers.
const minTTL = time.Millisecond

// NewPresence returns the store on c; stats count its failed Redis calls.
func NewPresence(c rueidis.Client, ttl time.Duration, stats *redis.Stats) *Presence {
	return &Presence{client: c, stats: stats, ttl: strconv.FormatInt(max(ttl, minTTL).Milliseconds(), 10)}
}

// Join adds e and reports its edge (wire.go's touchScript).
func (r *Presence) Join(ctx context.Context, e presence.Entry) (presence.Edge, error) {
	n, err := r.exec(ctx, touchScript, e)
	return edge(n), r.wrap("join", err)
}

// JoinAll runs the touch script for every entry in one pipeline: one round
// trip to a single Redis; on a Cluster, rueidis sends each master its
// entries, all at once.
func (r *Presence) JoinAll(ctx context.Context, entries []presence.Entry) ([]presence.Edge, error) {
	return r.execAll(ctx, "join", joinScript, entries)
}

// Leave removes e and reports its edge (wire.go's leaveScript).
func (r *Presence) Leave(ctx context.Context, e presence.Entry) (presence.Edge, error) {
	n, err := r.exec(ctx, leaveScript, e)
	return edge(n), r.wrap("leave", err)
}

// LeaveAll sends every entry's leave script in one pipelined round trip.
func (r *Presence) LeaveAll(ctx context.Context, entries []presence.Entry) ([]presence.Edge, error) {
	return r.execAll(ctx, "leave", leaveScript, entries)
}

// execAll pipelines s for every entry and returns each one's edge, or
// none on the first failure.
func (r *Presence) execAll(ctx context.Context, op string, s *redis.Script, entries []presence.Entry) ([]presence.Edge, error) {
	if err := presence.CheckRooms(entries); err != nil {
		return nil, err
	}
	edges := make([]presence.Edge, len(entries))
	if len(entries) == 0 {
		return edges, nil
	}
	for i, res := range s.ExecMulti(ctx, r.client, r.execs(entries)) {
		n, err := res.AsInt64()
		if err != nil {
			return nil, r.wrap(op, err)
		}
		edges[i] = edge(n)
	}
	return edges, nil
}

// edge reads a script's answer: 0, 1 or 2 as presence.Edge numbers them.
// Anything else (which the scripts never return) counts as no edge rather
// than announcing a change that did not happen.
func edge(n int64) presence.Edge {
	switch n {
	case 1:
		return presence.UserEdge
	case 2:
		return presence.RoomEdge
	}
	return presence.NoEdge
}

// Refresh runs the touch script for every entry in one pipeline.
func (r *Presence) Refresh(ctx context.Context, entries []presence.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := presence.CheckRooms(entries); err != nil {
		return err
	}
	for _, res := range touchScript.ExecMulti(ctx, r.client, r.execs(entries)) {
		if err := res.Error(); err != nil {
			return r.wrap("refresh", err)
		}
	}
	return nil
}

// Users lists the room's live users, sorted.
func (r *Presence) Users(ctx context.Context, room string) ([]string, error) {
	c := r.client
	if err := presence.CheckRoom(room); err != nil {
		return nil, err
	}
	users, err := usersScript.Exec(ctx, c, []string{usersKey(room)}, nil).AsStrSlice()
	if err != nil {
		return nil, r.wrap("users", err)
	}
	slices.Sort(users) // the set is ordered by expiry, callers want names
	if users == nil {
		users = []string{}
	}
	return users, nil
}

// CheckWrite reports whether Redis would run a presence write now (it is
// not out of memory, nor a read-only replica) without writing anything, so
// a node with no entries to refresh can tell when writes work again.
func (r *Presence) CheckWrite(ctx context.Context) error {
	c := r.client
	return r.wrap("write check", writeProbeScript.Exec(ctx, c, []string{probeKey}, nil).Error())
}

// CheckScripts fails on a Redis that refuses flagged scripts (older than
// 7.0, it cannot compile the shebang line; or an ACL without EVAL): better
// a clear error at start than every join failing later.
func (r *Presence) CheckScripts(ctx context.Context) error {
	c := r.client
	err := flagsProbeScript.Exec(ctx, c, []string{probeKey}, nil).Error()
	if _, refused := rueidis.IsRedisErr(err); refused {
		return fmt.Errorf("presence: Redis refused a Lua script with flags (Redis 7.0 or newer is needed, with EVAL and EVALSHA allowed): %w", err)
	}
	return err
}

func (r *Presence) exec(ctx context.Context, s *redis.Script, e presence.Entry) (int64, error) {
	c := r.client
	if err := presence.CheckRoom(e.Room); err != nil {
		return 0, err
	}
	return s.Exec(ctx, c, keys(e.Room, e.User), r.args(e)).AsInt64()
}

func (r *Presence) args(e presence.Entry) []string { return []string{e.User, e.Conn, r.ttl} }

// execs are the scripts' keys and arguments for each entry.
func (r *Presence) execs(entries []presence.Entry) []rueidis.LuaExec {
	execs := make([]rueidis.LuaExec, len(entries))
	for i, e := range entries {
		execs[i] = rueidis.LuaExec{Keys: keys(e.Room, e.User), Args: r.args(e)}
	}
	return execs
}

// wrap names the operation in a Redis failure and counts it.
func (r *Presence) wrap(op string, err error) error {
	if err == nil || errors.Is(err, presence.ErrBadRoom) {
		return err
	}
	r.stats.Failed(redis.OpPresence)
	return fmt.Errorf("presence %s: %w", op, err)
}
