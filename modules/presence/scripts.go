package presence

import "rt/modules/redis"

// The scripts take KEYS[1] = rt:presence:users:{room},
// KEYS[2] = rt:presence:conns:{room}:user and ARGV = user, conn, ttl in ms.
// Each starts from Redis's TIME so every node uses the same clock, and
// formats scores with %d because Lua would print large numbers in
// exponent notation.
const nowLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// The scripts carry Redis 7 flags (redis.Writes and so on; checkScripts
// fails the start on older Redis). Without them Redis judged the touch
// script command by command: its first write is ZREMRANGEBYSCORE, which
// may not grow memory, so its ZADDs went past maxmemory under noeviction.

// touchScript adds or refreshes one connection and returns 1 when the user
// had no live connection before. Join and Refresh share it: a refresh of an
// entry Redis lost (a restart) recreates it, which is what a refresh means.
// Expired members are purged first so they do not count as present.
var touchScript = redis.NewScript(redis.Writes, nowLua+`
local exp = string.format('%d', now + tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local first = redis.call('ZCARD', KEYS[2]) == 0
redis.call('ZADD', KEYS[2], exp, ARGV[2])
redis.call('ZADD', KEYS[1], 'GT', exp, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if first then return 1 end
return 0
`).Idempotent()

// leaveScript removes one connection and returns 1 when that ended the
// user's presence: no live connection remains and the user was still listed
// (so a repeated leave returns 0). Otherwise the user's score drops to their
// longest-lived remaining connection, so a dead node's tab is not kept alive
// by one that already left. XX: never create a key here, it would lack a TTL.
// It may run while Redis is out of memory: leaving frees memory, and a user
// who left must not stay listed until the TTL.
var leaveScript = redis.NewScript(redis.Frees, nowLua+`
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #top == 0 then
  redis.call('DEL', KEYS[2])
  return redis.call('ZREM', KEYS[1], ARGV[1])
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
