// Package protocol is the wire protocol of the chat server (SPEC §4 and §10): it
// decodes client frames and encodes server frames. It is pure data: no I/O,
// no framework imports, safe for concurrent use.
//
// Every frame is a compact JSON object with a "type". Timestamps "ts" are
// Unix milliseconds (Now); message ids are 28 lowercase hex digits that
// sort in publish order (FormatID).
//
// Client to server (Decode accepts only these); any of them may carry a
// "ref" (1 to 64 printable ASCII characters), which the direct answer
// carries back (WithRef, ChatAck):
//
//	{"type":"chat.message","room":"r","text":"hi","data":{..}}  room optional; text, data or both
//	{"type":"system.ping"}                          answered with Pong
//	{"type":"system.pong"}                          answer to Ping
//	{"type":"presence.list"}                        answered with PresenceState
//	{"type":"auth.refresh","token":"<JWT>"}         answered with AuthRefreshed
//	{"type":"history.get","before":"<id>","limit":50}  answered with HistoryPage
//	{"type":"room.join","room":"r","since":"<id>"}  answered with RoomJoined; since optional
//	{"type":"room.leave","room":"r"}                answered with RoomLeft
//	{"type":"room.signal","room":"r","data":{..}}   room optional; reaches others as Signal
//
// Server to client (one encoder each, no reflection, one allocation in the
// common case): chat.delivery (Delivery, DeliveryDraft), system.ping
// (Ping), system.pong (Pong), presence.state (PresenceState),
// presence.join (PresenceJoin), presence.leave (PresenceLeave),
// presence.diff (PresenceDiff), system.error (ErrorFrame), auth.refreshed
// (AuthRefreshed), history.page (HistoryPage), history.recovered
// (Recovered), room.joined (RoomJoined), room.left (RoomLeft), chat.ack
// (ChatAck), room.signal (Signal), user.message (UserMessage). Strings are
// escaped exactly as encoding/json does, so invalid UTF-8 becomes U+FFFD
// and "<" ">" "&" are \u-escaped; data is written as the compact JSON it
// was decoded to.
//
// # Decode rules
//
// Checked in this order; the first failure is returned as *Error:
//
//   - bad_json: not an object (array, number, string, null), nesting
//     deeper than MaxDepth (32) levels (found by a byte scan before any
//     parsing, which stops at the first level too many), not valid UTF-8,
//     not valid JSON, trailing data.
//   - bad_message: a known field ("type", "room", "text", "token",
//     "before", "limit", "ref", "since", "data") appears twice; "type"
//     missing or not a string.
//   - unknown_type: "type" is not one of the client types. Server-only
//     types such as chat.delivery are unknown here too.
//   - bad_message: "ref" present, not null and not 1 to 64 printable ASCII
//     characters; "room" present, not null and not a string.
//   - the type's own fields: for chat.message, neither a non-empty "text"
//     nor a non-null "data", or a "text" that is not a string
//     (bad_message); for room.join and room.leave, no non-empty "room"
//     (bad_message), for room.join a "since" that is not a message id
//     (bad_since); for room.signal, no non-null "data" (bad_message); for
//     auth.refresh, "token" missing, not a string, or ""; for history.get,
//     a bad "before" or "limit" (bad_message).
//
// A failure still returns the frame's ref (when valid) and type (when a
// client type), so that the system.error can carry the ref.
//
// Keys match exactly (case-sensitive, JSON escapes in keys are decoded).
// Unknown fields, such as a forged "user", are ignored and dropped, even
// when given twice. An escaped lone surrogate (\ud800) reads as U+FFFD. A
// room, ref or data of null counts as omitted, and so does a room of "".
// Room names (bad_room), room match (room_mismatch, not_joined), message
// length (text_too_long, message_too_long), the token's rooms
// (room_forbidden, too_many_rooms) and rate limits (rate_limited) are the
// caller's checks; their codes are defined here so that all codes live in
// one place.
//
// # Error codes (system.error "code")
//
// bad_json, bad_message, unknown_type, room_mismatch, text_too_long,
// message_too_long, rate_limited, token_invalid, unavailable, bad_room,
// bad_since, room_forbidden, too_many_rooms, not_joined. The connection
// stays open after each.
//
// # Close codes
//
// 1000 normal, 1001 server shutting down, 1007 text frame not valid UTF-8,
// 1008 policy (repeated abuse), 1009 frame too large, 1011 internal error,
// 4000 idle timeout, 4001 token expired, 4002 too slow to keep up (send
// queue full), 4003 disconnected by the server API.
package protocol
