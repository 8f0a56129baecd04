// Package protocol is the wire protocol of the chat server (SPEC §4): it
// decodes client frames and encodes server frames. It is pure data: no I/O,
// no framework imports, safe for concurrent use.
//
// Every frame is a compact JSON object with a "type". Timestamps "ts" are
// Unix milliseconds (Now); message ids are ULIDs made by the hub.
//
// Client to server (Decode accepts only these):
//
//	{"type":"chat.message","room":"r","text":"hi"}  room optional
//	{"type":"system.ping"}                          answered with Pong
//	{"type":"system.pong"}                          answer to Ping
//	{"type":"presence.list"}                        answered with PresenceState
//	{"type":"auth.refresh","token":"<JWT>"}         answered with AuthRefreshed
//
// Server to client (one encoder each, no reflection, one allocation in the
// common case): chat.delivery (Delivery), system.ping (Ping), system.pong
// (Pong), presence.state (PresenceState), presence.join (PresenceJoin),
// presence.leave (PresenceLeave), system.error (ErrorFrame), auth.refreshed
// (AuthRefreshed). Strings are
// escaped exactly as encoding/json does, so invalid UTF-8 becomes U+FFFD
// and "<" ">" "&" are \u-escaped.
//
// # Decode rules
//
// Checked in this order; the first failure is returned as *Error:
//
//   - bad_json: not valid UTF-8, not valid JSON, not an object (array,
//     number, string, null), trailing data, nesting deeper than 10000
//     levels (the limit of encoding/json and of json/v2's jsontext, which
//     reads the frames).
//   - bad_message: a known field ("type", "room", "text", "token") appears twice;
//     "type" missing or not a string.
//   - unknown_type: "type" is not one of the five client types. Server-only
//     types such as chat.delivery are unknown here too.
//   - bad_message: "room" present, not null and not a string (any type);
//     for chat.message, "text" missing, not a string, or ""; for
//     auth.refresh, "token" missing, not a string, or "".
//
// Keys match exactly (case-sensitive, JSON escapes in keys are decoded).
// Unknown fields, such as a forged "user", are ignored and dropped, even
// when given twice. An escaped lone surrogate (\ud800) reads as U+FFFD. A room
// of null or "" counts as omitted. Room match (room_mismatch), text length
// (text_too_long) and rate limits (rate_limited) are the caller's checks;
// their codes are defined here so that all codes live in one place.
//
// # Error codes (system.error "code")
//
// bad_json, bad_message, unknown_type, room_mismatch, text_too_long,
// rate_limited, token_invalid, unavailable. The connection stays open after
// each.
//
// # Close codes
//
// 1000 normal, 1001 server shutting down, 1007 text frame not valid UTF-8,
// 1008 policy (repeated abuse), 1009 frame too large, 1011 internal error, 4000 idle timeout, 4001 token
// expired, 4002 too slow to keep up (send queue full).
package protocol
