// Package presence says who is in which room, across every node (SPEC §5).
//
// A user is present in a room while at least one of their connections, on
// any node, is. Each connection is one Entry; it lives until PRESENCE_TTL
// after its last refresh, so the users of a node that dies without saying
// goodbye disappear by themselves. The Tracker owns this node's entries: it
// refreshes them all every TTL/3 in one batch and removes them on stop. It
// also refreshes at once when Redis reconnects, since a restarted Redis has
// lost them, and retries a failed refresh after a second (doubling to 5 s)
// rather than a whole TTL/3 later. While presence writes fail (the last
// join, refresh or write check did, e.g. Redis out of memory) the
// "presence" readiness check fails.
//
// Two stores keep the entries: Memory in embedded mode and, in redis mode,
// redisbus.Presence (package bus/redisbus). Each join and leave reports an
// Edge: UserEdge for a user's first connection in a room or the last one
// gone, RoomEdge when that also made the room occupied (its first user on
// any node) or vacated (its last user gone from every node), NoEdge
// otherwise, and for a leave already made. The hub turns UserEdges into
// presence.join and presence.leave frames, and every edge into webhook
// events (room.occupied, presence.join, presence.leave, room.vacated).
// Expired entries never count: a join purges them before looking whether
// the room is empty, and so does a leave that ended a user's presence,
// before looking whether the room is now empty.
//
// A known limit: the users of a node that died without stopping expire by
// their TTL, with no leave. Their rooms are never reported vacated on
// their account; once they have expired, the next join of such a room
// reports it occupied again (RoomEdge), so the backend sees room.occupied
// twice without a room.vacated between.
//
// # Redis key layout
//
// Two kinds of sorted sets, both with scores in Unix milliseconds of the
// moment the member expires (taken from Redis's TIME, so nodes with skewed
// clocks agree):
//
//	rt:presence:users:{<room>}         member = user id  score = expiry of the user's longest-lived connection
//	rt:presence:conns:{<room>}:<user>  member = conn id  score = expiry of that connection
//
// A member is live while its score is greater than now. Room names cannot
// contain braces (SPEC §3), so the braces delimit the room unambiguously
// whatever the user id holds, and as a cluster hash tag they put every key
// of a room in one slot, which the Lua scripts need. Every write also sets
// the key's own TTL (PEXPIRE) to PRESENCE_TTL, so Redis deletes idle keys
// by itself and no key is ever left without one.
//
// An operator can list a room's present users with
//
//	ZRANGE rt:presence:users:{lobby} 0 -1 WITHSCORES
//
// (members whose score is in the past are leftovers of a dead node, removed
// on the next join to the room, or the next leave that ends a user's
// presence there). Join, Leave and Refresh each run as one Lua
// script per entry, so concurrent nodes never see half an update; Refresh,
// JoinAll and LeaveAll (a socket joining many rooms at once, or closing in
// them) pipeline theirs, one round trip for the whole batch. The scripts declare Redis 7 flags
// (redisbus/wire.go), so a Redis at maxmemory refuses the writing ones up
// front instead of letting them write past the limit, while the read and
// the leave still run. Redis 7.0 or newer is needed; an older one fails
// the start.
package presence
