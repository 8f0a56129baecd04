package redisqueue

import "github.com/rtserver/rt/modules/redis"

// add appends each ARGV[2..] as an entry and trims the stream to ARGV[1]
// entries, exactly (MAXLEN =, not ~: the bound is WEBHOOK_BACKLOG, and the
// trimmed count is the dropped count). It replies how many it trimmed,
// the oldest first. It grows memory, so Redis refuses it while out of
// memory and the node's buffer keeps the events meanwhile.
var add = redis.NewScript(redis.Writes, `
local key = KEYS[1]
for i = 2, #ARGV do
	redis.call('XADD', key, '*', 'e', ARGV[i])
end
return redis.call('XTRIM', key, 'MAXLEN', '=', ARGV[1])
`)

// done acknowledges ARGV[2..] in group ARGV[1] and deletes them: a
// delivered event leaves the stream, so its length is the backlog. It only
// frees memory, so it runs while Redis is out of memory.
var done = redis.NewScript(redis.Frees, `
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
`)

// forget deletes consumer ARGV[2] of group ARGV[1] if it has no pending
// entry, in one step so that none can be lost with it.
var forget = redis.NewScript(redis.Frees, `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then
	return 0
end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
`)
