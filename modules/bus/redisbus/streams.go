package redisbus

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/redis"
)

// maxRun bounds the messages of one script call, and so how long it holds
// Redis.
const maxRun = 64

// streams is the history of redis mode: a Redis Stream per room, trimmed
// to about Size entries (MAXLEN ~: Redis trims whole nodes of the stream,
// so a room may hold somewhat more, never fewer) and expiring TTL after its
// last message. Its append script publishes each message on the channel
// that channel names, where the bus's subscribers receive it.
type streams struct {
	client  rueidis.Client
	set     bus.Settings
	now     func() time.Time
	stats   *redis.Stats
	script  *redis.Script
	channel func(room string) string
}

func newStreams(c rueidis.Client, s bus.Settings, stats *redis.Stats, script *redis.Script, channel func(string) string) *streams {
	return &streams{client: c, set: s, now: s.Clock(), stats: stats, script: script, channel: channel}
}

// Append runs the append script once for each run of consecutive drafts
// of one room (at most maxRun), all in one pipelined round trip, in order.
// The scripts are not retried: a script that ran but whose answer was lost
// would otherwise store and publish its messages twice.
func (h *streams) Append(ctx context.Context, drafts []bus.Draft) ([]string, []error) {
	ids := make([]string, len(drafts))
	errs := make([]error, len(drafts))
	runs := roomRuns(drafts)
	execs := make([]rueidis.LuaExec, len(runs))
	for i, run := range runs {
		execs[i] = h.appendExec(drafts[run[0]:run[1]])
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	for i, res := range h.script.ExecMulti(ctx, h.client, execs) {
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
func roomRuns(drafts []bus.Draft) [][2]int {
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

// appendExec is the script call for one run of drafts of one room.
func (h *streams) appendExec(run []bus.Draft) rueidis.LuaExec {
	trim := "~"
	if h.set.Size == 0 {
		trim = "=" // keep no entry, though the stream still numbers them
	}
	room := run[0].Room
	args := make([]string, 0, 4+3*len(run))
	args = append(args, h.channel(room), trim, strconv.Itoa(h.set.Size), strconv.FormatInt(h.set.TTL.Milliseconds(), 10))
	for _, d := range run {
		args = append(args, strconv.FormatInt(d.At, 10), string(d.Frame), strconv.Itoa(d.IDAt))
	}
	return rueidis.LuaExec{Keys: []string{StreamKey(room)}, Args: args}
}

// After reads, newest first, the entries from the newest down to since
// itself, at most Size+1 of them (bus.Bus).
func (h *streams) After(ctx context.Context, room, since string) ([]bus.Entry, bool, error) {
	entries, err := h.xrange(ctx, since, func(b rueidis.Builder, stream string) rueidis.Completed {
		return b.Xrevrange().Key(StreamKey(room)).End("+").Start(stream).Count(int64(h.set.Size) + 1).Build()
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
// (bus.Bus).
func (h *streams) Range(ctx context.Context, room, after string, limit int) ([]bus.Entry, bool, error) {
	limit = max(limit, 0)
	entries, err := h.xrange(ctx, after, func(b rueidis.Builder, stream string) rueidis.Completed {
		return b.Xrange().Key(StreamKey(room)).Start(stream).End("+").Count(int64(limit) + 1).Build()
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
func (h *streams) xrange(ctx context.Context, id string, build func(b rueidis.Builder, stream string) rueidis.Completed) ([]bus.Entry, error) {
	stream, ok := streamID(id)
	if !ok && id != "" {
		return nil, fmt.Errorf("history: %q is not a message id", id)
	}
	c := h.client
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	raw, err := c.Do(ctx, build(c.B(), stream)).AsXRange()
	if err != nil {
		return nil, h.fail("read", err)
	}
	return h.messages(raw)
}

// Before reads, newest first, up to limit+1 entries below before (bus.Bus).
func (h *streams) Before(ctx context.Context, room, before string, limit int) ([]bus.Entry, bool, error) {
	entries, err := h.xrange(ctx, before, func(b rueidis.Builder, stream string) rueidis.Completed {
		end := "+"
		if stream != "" {
			end = "(" + stream
		}
		return b.Xrevrange().Key(StreamKey(room)).End(end).Start("-").Count(int64(limit) + 1).Build()
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
func (h *streams) messages(raw []rueidis.XRangeEntry) ([]bus.Entry, error) {
	now := h.now()
	entries := make([]bus.Entry, 0, len(raw))
	for _, x := range raw {
		e, err := entry(x)
		if err != nil {
			return nil, h.fail("read", err)
		}
		if !bus.Expired(e.ID, now, h.set.TTL) {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// entry turns a stream entry into a message: its frame with the id written
// at the stored offset.
func entry(x rueidis.XRangeEntry) (bus.Entry, error) {
	id, ok := messageID(x.ID)
	frame, at := x.FieldValues["f"], x.FieldValues["i"]
	n, err := strconv.Atoi(at)
	if !ok || err != nil || n < 0 || n+protocol.IDLen > len(frame) {
		return bus.Entry{}, fmt.Errorf("history: malformed stream entry %q", x.ID)
	}
	b := []byte(frame)
	protocol.SetID(b, n, id)
	return bus.Entry{ID: id, Frame: b}, nil
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
func (h *streams) fail(op string, err error) error {
	if h.stats != nil {
		h.stats.Failed(redis.OpHistory)
	}
	return fmt.Errorf("history %s: %w", op, err)
}
