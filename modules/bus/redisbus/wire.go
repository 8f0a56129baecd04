package redisbus

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/redis"
)

// This file is rt's whole wire format in Redis: the names of a room's
// channel and stream, the envelope a message travels in, and the script
// that appends and publishes, and the presence keys and scripts. Nothing else in rt writes or parses them.

// ChannelPrefix is prepended to a room name to form its Pub/Sub channel.
const ChannelPrefix = "rt:room:"

// Channel is a room's Pub/Sub channel on a single Redis.
func Channel(room string) string { return ChannelPrefix + room }

// ShardChannel is a room's sharded Pub/Sub channel in a Redis Cluster. The
// room is its hash tag, so the channel lives in the room's slot, with the
// room's history and presence keys, and the append script can publish on
// it.
func ShardChannel(room string) string { return ChannelPrefix + "{" + room + "}" }

// Presence keys (the presence package's doc describes them): a room's
// users, and one user's connections in it. The braces are the room's hash
// tag; room names cannot contain braces, so they delimit the room whatever
// the user id holds.
func usersKey(room string) string { return "rt:presence:users:{" + room + "}" }

func connsKey(room, user string) string { return "rt:presence:conns:{" + room + "}:" + user }

func keys(room, user string) []string { return []string{usersKey(room), connsKey(room, user)} }

// StreamKey is a room's history stream. The room is a hash tag, like the
// presence keys, so that every key of a room lives in one Redis Cluster
// slot.
func StreamKey(room string) string { return "rt:history:{" + room + "}" }

// The Redis bus publishes a Message as one payload on its room's channel,
// so the receiving node gets ID, At and From back without parsing the
// frame:
//
//	<At> <ID>\n<Frame>
//	<At> <ID> <From>\n<Frame>
//
// At is Unix milliseconds in canonical decimal (digits only, no sign, no
// leading zero). ID runs from the first space to the next space or newline
// and may be empty; it never holds a space. From, present only when not
// empty (a room.signal's sender), runs from the second space to the first
// newline and may hold spaces. Frame is every byte after that newline, as
// is. The room is not repeated: it is the channel's name. A payload without
// From reads as it did before From existed, so chat messages and presence
// are unchanged on the wire.

// Why a payload or a Message does not fit the envelope. The texts never
// quote the payload: it may come from anything that can PUBLISH.
var (
	errNoHeader    = errors.New("redisbus: envelope: no header line")
	errNoIDSep     = errors.New("redisbus: envelope: no space between At and ID")
	errBadAt       = errors.New("redisbus: envelope: At is not a canonical non-negative decimal")
	errEmptyFrom   = errors.New("redisbus: envelope: a space after ID but no From")
	errNegativeAt  = errors.New("redisbus: message At is negative")
	errNewlineID   = errors.New("redisbus: message ID contains a newline")
	errSpaceID     = errors.New("redisbus: message ID contains a space")
	errNewlineFrom = errors.New("redisbus: message From contains a newline")
)

// checkEnvelope reports why m cannot be carried by the envelope: its
// header would not decode to the same At, ID and From.
func checkEnvelope(m bus.Message) error {
	switch {
	case m.At < 0:
		return errNegativeAt
	case strings.IndexByte(m.ID, '\n') >= 0:
		return errNewlineID
	case strings.IndexByte(m.ID, ' ') >= 0:
		return errSpaceID
	case strings.IndexByte(m.From, '\n') >= 0:
		return errNewlineFrom
	}
	return nil
}

// encodeEnvelope returns m's payload; m must pass checkEnvelope.
func encodeEnvelope(m bus.Message) []byte {
	// 20 digits hold any int64, plus two spaces and the newline.
	b := make([]byte, 0, 23+len(m.ID)+len(m.From)+len(m.Frame))
	b = strconv.AppendInt(b, m.At, 10)
	b = append(b, ' ')
	b = append(b, m.ID...)
	if m.From != "" {
		b = append(b, ' ')
		b = append(b, m.From...)
	}
	b = append(b, '\n')
	return append(b, m.Frame...)
}

// decodeEnvelope returns the Message that payload carries for room. ID,
// From and Frame share payload's memory rather than copying it: a received
// message is read-only (bus.Bus), and rueidis allocates each payload for its
// one message. Only canonical payloads are accepted, so each Message has
// exactly one encoding.
func decodeEnvelope(room, payload string) (bus.Message, error) {
	header, frame, ok := strings.Cut(payload, "\n")
	if !ok {
		return bus.Message{}, errNoHeader
	}
	at, rest, ok := strings.Cut(header, " ")
	if !ok {
		return bus.Message{}, errNoIDSep
	}
	id, from, hasFrom := strings.Cut(rest, " ")
	if hasFrom && from == "" {
		return bus.Message{}, errEmptyFrom // encodeEnvelope writes no space before an empty From
	}
	n, err := parseAt(at)
	if err != nil {
		return bus.Message{}, err
	}
	return bus.Message{Room: room, ID: id, At: n, From: from, Frame: readOnlyBytes(frame)}, nil
}

// readOnlyBytes returns s's bytes without copying them; they must never be
// written.
func readOnlyBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// parseAt reads a canonical non-negative decimal: digits only, no sign, no
// leading zero, at most math.MaxInt64. strconv would also take a sign and
// leading zeros, which encodeEnvelope never writes.
func parseAt(s string) (int64, error) {
	// 19 digits hold any int64 and cannot overflow a uint64.
	if len(s) == 0 || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, errBadAt
	}
	var n uint64
	for i := range len(s) {
		d := s[i] - '0'
		if d > 9 {
			return 0, errBadAt
		}
		n = n*10 + uint64(d)
	}
	if n > math.MaxInt64 {
		return 0, errBadAt
	}
	return int64(n), nil
}

// appendScript appends messages of one room to KEYS[1] and publishes each,
// in order, as one step, and returns their ids. ARGV: channel, trim ("="
// exact or "~" approximate), size, ttl ms, then for each message its At,
// its frame with an id placeholder and the placeholder's offset. One call
// for a run of messages spares Redis the cost of a script call for each.
//
// The stream stores each frame with its placeholder and the offset (the id
// is the entry's own id, known only once XADD has run); the published frame
// has the id written in. The payload is the bus's envelope,
// "<At> <id>\n<frame>" (encodeEnvelope), so the Redis bus delivers it like
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
// with SPUBLISH on the room's shard channel (ShardChannel), whose hash
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

// The scripts take KEYS[1] = rt:presence:users:{room},
// KEYS[2] = rt:presence:conns:{room}:user and ARGV = user, conn, ttl in ms.
// Each starts from Redis's TIME so every node uses the same clock, and
// formats scores with %d because Lua would print large numbers in
// exponent notation.
const nowLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// The scripts carry Redis 7 flags (redis.Writes and so on; CheckScripts
// fails the start on older Redis). Without them Redis judged the touch
// script command by command: its first write is ZREMRANGEBYSCORE, which
// may not grow memory, so its ZADDs went past maxmemory under noeviction.

// touchScript adds or refreshes one connection and returns its edge as
// presence.Edge numbers it: 1 when the user had no live connection before,
// 2 when the room had no live user either, else 0 (also for a user whose
// connection outlived the room's users set, which only an evicted key
// could do: that user's presence was reported). Join, JoinAll (as
// joinScript) and Refresh share it: a refresh of an entry Redis lost (a
// restart) recreates it, which is what a refresh means. Expired members
// are purged first so they do not count as present: the users of a dead
// node do not keep its rooms occupied once their entries expire.
var touchScript = redis.NewScript(redis.Writes, touchBody).Idempotent()

// joinScript is touchScript (the same source, so the same SHA-1) for
// JoinAll, whose commands are not retried after a dropped connection: a
// retried join that Redis had applied would report NoEdge, and the user's
// presence.join (or the room's room.occupied) would never be announced.
// Join's single calls are not retried either (rueidis retries only scripts
// declared retryable).
var joinScript = redis.NewScript(redis.Writes, touchBody)

const touchBody = nowLua + `
local exp = string.format('%d', now + tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local first = redis.call('ZCARD', KEYS[2]) == 0
local empty = redis.call('ZCARD', KEYS[1]) == 0
redis.call('ZADD', KEYS[2], exp, ARGV[2])
redis.call('ZADD', KEYS[1], 'GT', exp, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if first and empty then return 2 end
if first then return 1 end
return 0
`

// leaveScript removes one connection and returns its edge: 1 when that
// ended the user's presence (no live connection remains and the user was
// still listed, so a repeated leave returns 0), 2 when, the expired members
// purged, the room has no live user left either. When the user still has a
// live connection it returns 0 and the user's score drops to their
// longest-lived remaining one, so a dead node's tab is not kept alive by
// one that already left. XX: never create
// a key here, it would lack a TTL. It may run while Redis is out of memory
// (it only removes or lowers): leaving frees memory, and a user who left
// must not stay listed until the TTL. Like joinScript it is not retried: a
// retried leave that Redis had applied would report 0 and lose the edge.
var leaveScript = redis.NewScript(redis.Frees, nowLua+`
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #top == 0 then
  redis.call('DEL', KEYS[2])
  if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) == 0 then return 2 end
  return 1
end
redis.call('ZADD', KEYS[1], 'XX', top[2], ARGV[1])
return 0
`)

// usersScript lists the live members of KEYS[1]; a script only because the
// cut-off must be Redis's own now.
var usersScript = redis.NewScript(redis.ReadOnly, nowLua+`
return redis.call('ZRANGE', KEYS[1], '(' .. string.format('%d', now), '+inf', 'BYSCORE')
`)

// writeProbeScript writes nothing, but carries the flags of a writing
// script, so Redis refuses it exactly when it would refuse touchScript
// (out of memory, a read-only replica). It is given probeKey, which it
// never touches, as some hosted Redis services refuse scripts without keys.
var writeProbeScript = redis.NewScript(redis.Writes, `return 1`)

const probeKey = "rt:presence:probe"

// flagsProbeScript runs on any Redis that understands script flags
// (7.0+), whatever its memory.
var flagsProbeScript = redis.NewScript(redis.ReadOnly, `return 1`)
