package presence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/redis"
)

// Redis is the Store of redis mode; doc.go describes the keys.
type Redis struct {
	client func() rueidis.Client
	stats  *redis.Stats
	ttl    string // milliseconds, as the scripts take it
}

// errNotStarted means the Redis module has not opened its client yet.
var errNotStarted = errors.New("presence: redis client not started")

// NewRedis returns a store that calls client at use time, because the
// client only exists once the redis module has started; stats count its
// failed Redis calls.
func NewRedis(client func() rueidis.Client, ttl time.Duration, stats *redis.Stats) *Redis {
	return &Redis{client: client, stats: stats, ttl: strconv.FormatInt(clampTTL(ttl).Milliseconds(), 10)}
}

// Join adds e; first when the user had no live connection in the room.
func (r *Redis) Join(ctx context.Context, e Entry) (bool, error) {
	n, err := r.exec(ctx, touchScript, e)
	return n == 1, r.wrap("join", err)
}

// Leave removes e; last when it ended the user's presence in the room.
func (r *Redis) Leave(ctx context.Context, e Entry) (bool, error) {
	n, err := r.exec(ctx, leaveScript, e)
	return n == 1, r.wrap("leave", err)
}

// Refresh runs the touch script for every entry in one pipeline.
func (r *Redis) Refresh(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	c := r.client()
	if c == nil {
		return errNotStarted
	}
	if err := checkRooms(entries); err != nil {
		return err
	}
	execs := make([]rueidis.LuaExec, len(entries))
	for i, e := range entries {
		execs[i] = rueidis.LuaExec{Keys: keys(e.Room, e.User), Args: r.args(e)}
	}
	for _, res := range touchScript.ExecMulti(ctx, c, execs) {
		if err := res.Error(); err != nil {
			return r.wrap("refresh", err)
		}
	}
	return nil
}

// Users lists the room's live users, sorted.
func (r *Redis) Users(ctx context.Context, room string) ([]string, error) {
	c := r.client()
	if c == nil {
		return nil, errNotStarted
	}
	if err := checkRoom(room); err != nil {
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
func (r *Redis) CheckWrite(ctx context.Context) error {
	c := r.client()
	if c == nil {
		return errNotStarted
	}
	return r.wrap("write check", writeProbeScript.Exec(ctx, c, []string{probeKey}, nil).Error())
}

// checkScripts fails on a Redis that refuses flagged scripts (older than
// 7.0, it cannot compile the shebang line; or an ACL without EVAL): better
// a clear error at start than every join failing later.
func (r *Redis) checkScripts(ctx context.Context) error {
	c := r.client()
	if c == nil {
		return errNotStarted
	}
	err := flagsProbeScript.Exec(ctx, c, []string{probeKey}, nil).Error()
	if _, refused := rueidis.IsRedisErr(err); refused {
		return fmt.Errorf("presence: Redis refused a Lua script with flags (Redis 7.0 or newer is needed, with EVAL and EVALSHA allowed): %w", err)
	}
	return err
}

func (r *Redis) exec(ctx context.Context, s *redis.Script, e Entry) (int64, error) {
	c := r.client()
	if c == nil {
		return 0, errNotStarted
	}
	if err := checkRoom(e.Room); err != nil {
		return 0, err
	}
	return s.Exec(ctx, c, keys(e.Room, e.User), r.args(e)).AsInt64()
}

func (r *Redis) args(e Entry) []string { return []string{e.User, e.Conn, r.ttl} }

func usersKey(room string) string { return "rt:presence:users:{" + room + "}" }

func connsKey(room, user string) string { return "rt:presence:conns:{" + room + "}:" + user }

func keys(room, user string) []string { return []string{usersKey(room), connsKey(room, user)} }

// wrap names the operation in a Redis failure and counts it.
func (r *Redis) wrap(op string, err error) error {
	if err == nil || errors.Is(err, errNotStarted) || errors.Is(err, ErrBadRoom) {
		return err
	}
	r.stats.Failed(redis.OpPresence)
	return fmt.Errorf("presence %s: %w", op, err)
}
