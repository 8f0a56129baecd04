package history

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/bus"
	"rt/modules/protocol"
	"rt/modules/redis"
)

// commandTimeout bounds one append or read, like the bus's PUBLISH.
const commandTimeout = 5 * time.Second

// errNotStarted: the Redis client is not open (before start).
var errNotStarted = errors.New("history: Redis client not started")

// Key is a room's history stream. The room is a hash tag, like the presence
// keys, so that every key of a room lives in one Redis Cluster slot.
func Key(room string) string { return "rt:history:{" + room + "}" }

// appendScript appends messages of one room to KEYS[1] and publishes each,
// in order, as one step, and returns their ids. ARGV: channel, trim ("="
// exact or "~" approximate), size, ttl ms, then for each message its At,
// its frame with an id placeholder and the placeholder's offset. One call
// for a run of messages spares Redis the cost of a script call for each.
//
// The stream stores each frame with its placeholder and the offset (the id
// is the entry's own id, known only once XADD has run); the published frame
// has the id written in. The payload is the bus's envelope,
// "<At> <id>\n<frame>" (bus/envelope.go), so the Redis bus delivers it like
// any other message. The id is the stream id "<ms>-<seq>" as 12 and 16 hex
// digits (protocol.FormatID); Lua's %x takes the whole double.
//
// A stream that does not exist (never written, expired, flushed) starts one
// millisecond after the clock XADD numbers with, not at it: a FLUSHALL in
// the millisecond of a message would otherwise number the next one below
// it. The clock is read with a probe entry, deleted at once (the stream
// still numbers after it): a script's TIME is the time its event-loop turn
// began, which under load lags XADD's clock.
var appendScript = redis.NewScript(redis.Writes, appendBody)

// appendShardedScript is appendScript for a Redis Cluster: it publishes
// with SPUBLISH on the room's shard channel (bus.ShardChannel), whose hash
// tag puts it in the slot of KEYS[1], as a script's commands must be.
var appendShardedScript = redis.NewScript(redis.Writes, strings.Replace(appendBody, "'PUBLISH'", "'SPUBLISH'", 1))

const appendBody = `
local next = '*'
if redis.call('EXISTS', KEYS[1]) == 0 then
  local probe = redis.call('XADD', KEYS[1], '*', 'probe', '')
  redis.call('XDEL', KEYS[1], probe)
  next = string.format('%d', tonumber(string.match(probe, '^(%d+)-')) + 1) .. '-0'
end
local ids = {}
for k = 5, #ARGV, 3 do
  local sid = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], ARGV[3], next, 'f', ARGV[k+1], 'i', ARGV[k+2])
  next = '*'
  local ms, seq = string.match(sid, '^(%d+)-(%d+)$')
  local id = string.format('%012x%016x', tonumber(ms), tonumber(seq))
  local off = tonumber(ARGV[k+2])
  redis.call('PUBLISH', ARGV[1], ARGV[k] .. ' ' .. id .. '\n' .. string.sub(ARGV[k+1], 1, off) .. id .. string.sub(ARGV[k+1], off + 29))
  ids[#ids+1] = id
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return ids
`

// maxRun bounds the messages of one script call, and so how long it holds
// Redis.
const maxRun = 64

// Redis is the history of redis mode: a Redis Stream per room, trimmed to
// about Size entries (MAXLEN ~: Redis trims whole nodes of the stream, so a
// room may hold somewhat more, never fewer) and expiring TTL after its last
// message.
type Redis struct {
	client func() rueidis.Client
	set    Settings
	stats  *redis.Stats
	now    func() time.Time
}

var _ Log = (*Redis)(nil)

// NewRedis returns the history kept in the Redis that client returns.
func NewRedis(client func() rueidis.Client, s Settings, stats *redis.Stats) *Redis {
	return &Redis{client: client, set: s, stats: stats, now: time.Now}
}

// Append runs the append script once for each run of consecutive drafts
// of one room (at most maxRun), all in one pipelined round trip, in order.
// The scripts are not retried: a script that ran but whose answer was lost
// would otherwise store and publish its messages twice.
func (h *Redis) Append(ctx context.Context, drafts []Draft) ([]string, []error) {
	ids := make([]string, len(drafts))
	errs := make([]error, len(drafts))
	c := h.client()
	if c == nil {
		for i := range errs {
			errs[i] = errNotStarted
		}
		return ids, errs
	}
	runs := roomRuns(drafts)
	sharded := bus.Sharded(c)
	execs := make([]rueidis.LuaExec, len(runs))
	for i, run := range runs {
		execs[i] = h.appendExec(drafts[run[0]:run[1]], sharded)
	}
	script := appendScript
	if sharded {
		script = appendShardedScript
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	for i, res := range script.ExecMulti(ctx, c, execs) {
		from, to := runs[i][0], runs[i][1]
		got, err := res.AsStrSlice()
		if err == nil && len(got) != to-from {
			err = fmt.Errorf("history: the append script returned %d ids for %d messages", len(got), to-from)
		}
		for k := from; k < to; k++ {
			if err == nil && !protocol.ValidID(got[k-from]) {
				err = fmt.Errorf("history: the append script returned %q, not an id", got[k-from])
			}
		}
		if err != nil {
			err = h.fail("append", err)
			for k := from; k < to; k++ {
				errs[k] = err
			}
			continue
		}
		for k := from; k < to; k++ {
			ids[k] = got[k-from]
			protocol.SetID(drafts[k].Frame, drafts[k].IDAt, ids[k])
		}
	}
	return ids, errs
}

// roomRuns splits drafts into runs [from, to) of one room, at most maxRun
// long, in order.
func roomRuns(drafts []Draft) [][2]int {
	var runs [][2]int
	for from := 0; from < len(drafts); {
		to := from + 1
		for to < len(drafts) && to-from < maxRun && drafts[to].Room == drafts[from].Room {
			to++
		}
		runs = append(runs, [2]int{from, to})
		from = to
	}
	return runs
}

// appendExec is the script call for one run of drafts of one room, for
// the sharded script in a Redis Cluster.
func (h *Redis) appendExec(run []Draft, sharded bool) rueidis.LuaExec {
	trim := "~"
	if h.set.Size == 0 {
		trim = "=" // keep no entry, though the stream still numbers them
	}
	room := run[0].Room
	args := make([]string, 0, 4+3*len(run))
	channel := bus.ChannelPrefix + room
	if sharded {
		channel = bus.ShardChannel(room)
	}
	args = append(args, channel, trim, strconv.Itoa(h.set.Size), strconv.FormatInt(h.set.TTL.Milliseconds(), 10))
	for _, d := range run {
		args = append(args, strconv.FormatInt(d.At, 10), string(d.Frame), strconv.Itoa(d.IDAt))
	}
	return rueidis.LuaExec{Keys: []string{Key(room)}, Args: args}
}

// After reads, newest first, the entries from the newest down to since
// itself, at most Size+1 of them (Log).
func (h *Redis) After(ctx context.Context, room, since string) ([]Entry, bool, error) {
	entries, err := h.xrange(ctx, since, func(b rueidis.Builder, stream string) rueidis.Completed {
		return b.Xrevrange().Key(Key(room)).End("+").Start(stream).Count(int64(h.set.Size) + 1).Build()
	})
	if err != nil {
		return nil, false, err
	}
	held := len(entries) > 0 && entries[len(entries)-1].ID == since
	if held {
		entries = entries[:len(entries)-1]
	}
	complete := held
	if len(entries) > h.set.Size {
		entries, complete = entries[:h.set.Size], false
	}
	slices.Reverse(entries)
	return entries, complete, nil
}

// Range reads, oldest first, after itself and up to limit entries after it
// (Log).
func (h *Redis) Range(ctx context.Context, room, after string, limit int) ([]Entry, bool, error) {
	limit = max(limit, 0)
	entries, err := h.xrange(ctx, after, func(b rueidis.Builder, stream string) rueidis.Completed {
		return b.Xrange().Key(Key(room)).Start(stream).End("+").Count(int64(limit) + 1).Build()
	})
	if err != nil {
		return nil, false, err
	}
	held := len(entries) > 0 && entries[0].ID == after
	if held {
		entries = entries[1:]
	}
	return entries[:min(len(entries), limit)], held, nil
}

// xrange runs the range read that build makes from the stream id of the
// message id ("" for none), within commandTimeout, and returns its
// messages without the expired ones, in the order read.
func (h *Redis) xrange(ctx context.Context, id string, build func(b rueidis.Builder, stream string) rueidis.Completed) ([]Entry, error) {
	stream, ok := streamID(id)
	if !ok && id != "" {
		return nil, fmt.Errorf("history: %q is not a message id", id)
	}
	c := h.client()
	if c == nil {
		return nil, errNotStarted
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	raw, err := c.Do(ctx, build(c.B(), stream)).AsXRange()
	if err != nil {
		return nil, h.fail("read", err)
	}
	return h.messages(raw)
}

// Before reads, newest first, up to limit+1 entries below before (Log).
func (h *Redis) Before(ctx context.Context, room, before string, limit int) ([]Entry, bool, error) {
	entries, err := h.xrange(ctx, before, func(b rueidis.Builder, stream string) rueidis.Completed {
		end := "+"
		if stream != "" {
			end = "(" + stream
		}
		return b.Xrevrange().Key(Key(room)).End(end).Start("-").Count(int64(limit) + 1).Build()
	})
	if err != nil {
		return nil, false, err
	}
	more := len(entries) > limit
	if more {
		entries = entries[:limit]
	}
	slices.Reverse(entries)
	return entries, more, nil
}

// messages turns stream entries into messages, leaving out those older
// than the TTL (in a range read they are all at one end).
func (h *Redis) messages(raw []rueidis.XRangeEntry) ([]Entry, error) {
	now := h.now()
	entries := make([]Entry, 0, len(raw))
	for _, x := range raw {
		e, err := entry(x)
		if err != nil {
			return nil, h.fail("read", err)
		}
		if !expired(e.ID, now, h.set.TTL) {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// entry turns a stream entry into a message: its frame with the id written
// at the stored offset.
func entry(x rueidis.XRangeEntry) (Entry, error) {
	id, ok := messageID(x.ID)
	frame, at := x.FieldValues["f"], x.FieldValues["i"]
	n, err := strconv.Atoi(at)
	if !ok || err != nil || n < 0 || n+protocol.IDLen > len(frame) {
		return Entry{}, fmt.Errorf("history: malformed stream entry %q", x.ID)
	}
	b := []byte(frame)
	protocol.SetID(b, n, id)
	return Entry{ID: id, Frame: b}, nil
}

// streamID is the stream id "<ms>-<seq>" of a message id.
func streamID(id string) (string, bool) {
	ms, seq, ok := protocol.ParseID(id)
	if !ok {
		return "", false
	}
	return strconv.FormatUint(ms, 10) + "-" + strconv.FormatUint(seq, 10), true
}

// messageID is the message id of a stream id.
func messageID(s string) (string, bool) {
	a, b, ok := strings.Cut(s, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return "", false
	}
	return protocol.FormatID(ms, seq), true
}

// fail counts a Redis failure and names the operation.
func (h *Redis) fail(op string, err error) error {
	if h.stats != nil {
		h.stats.Failed(redis.OpHistory)
	}
	return fmt.Errorf("history %s: %w", op, err)
}
