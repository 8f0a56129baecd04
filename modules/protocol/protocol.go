package protocol

// Frame types. Client frames: chat.message, system.ping, system.pong,
// presence.list, auth.refresh, history.get, room.join, room.leave and
// room.signal (which the server also sends, to the room's other members).
// Everything else is sent by the server only.
const (
	TypeChatMessage   = "chat.message"
	TypeChatDelivery  = "chat.delivery"
	TypePing          = "system.ping"
	TypePong          = "system.pong"
	TypeError         = "system.error"
	TypePresenceList  = "presence.list"
	TypePresenceState = "presence.state"
	TypePresenceJoin  = "presence.join"
	TypePresenceLeave = "presence.leave"
	TypePresenceDiff  = "presence.diff"
	TypeAuthRefresh   = "auth.refresh"
	TypeAuthRefreshed = "auth.refreshed"
	TypeHistoryGet    = "history.get"
	TypeHistoryPage   = "history.page"
	TypeRecovered     = "history.recovered"
	TypeRoomJoin      = "room.join"
	TypeRoomJoined    = "room.joined"
	TypeRoomLeave     = "room.leave"
	TypeRoomLeft      = "room.left"
	TypeRoomSignal    = "room.signal"
	TypeChatAck       = "chat.ack"
	TypeUserMessage   = "user.message"
)

// Reasons of a room.left frame.
const (
	// LeftByClient: the client asked to leave (room.leave).
	LeftByClient = "left"
	// LeftForbidden: a refreshed token no longer covers the room.
	LeftForbidden = "forbidden"
	// LeftDisconnected: the server API disconnected the user from the room;
	// the socket stays open for its other rooms.
	LeftDisconnected = "disconnected"
)

// History page sizes: history.get's limit is 1..MaxPageLimit, DefaultPageLimit
// when omitted.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 100
)

// ErrorCode is the machine-readable code of a system.error frame.
type ErrorCode string

// Error codes sent in system.error frames. The connection stays open.
const (
	// CodeBadJSON: the frame is not a JSON object (invalid JSON, invalid
	// UTF-8, not an object, trailing data, nesting deeper than MaxDepth).
	CodeBadJSON ErrorCode = "bad_json"
	// CodeBadMessage: a required field is missing, has the wrong JSON type,
	// or a known field appears twice; or the ref is not 1 to 64 printable
	// ASCII characters.
	CodeBadMessage ErrorCode = "bad_message"
	// CodeUnknownType: type is not one a client may send.
	CodeUnknownType ErrorCode = "unknown_type"
	// CodeRoomMismatch: chat.message names a room other than the
	// connection's (checked by the caller).
	CodeRoomMismatch ErrorCode = "room_mismatch"
	// CodeTextTooLong: a chat.message with text only exceeds the
	// configured limit (checked by the caller). Protocol-1 clients know
	// only this code, so a text-only message keeps getting it.
	CodeTextTooLong ErrorCode = "text_too_long"
	// CodeMessageTooLong: a chat.message with data exceeds the configured
	// limit on text plus data (MessageBytes; checked by the caller).
	CodeMessageTooLong ErrorCode = "message_too_long"
	// CodeBadRoom: room.join names a room that is not a valid room name
	// (checked by the caller).
	CodeBadRoom ErrorCode = "bad_room"
	// CodeBadSince: room.join's since is not a message id.
	CodeBadSince ErrorCode = "bad_since"
	// CodeRoomForbidden: the token's rooms claim does not cover the room
	// (checked by the caller).
	CodeRoomForbidden ErrorCode = "room_forbidden"
	// CodeTooManyRooms: joining would put the socket in more rooms than
	// MAX_ROOMS_PER_CONN allows (checked by the caller).
	CodeTooManyRooms ErrorCode = "too_many_rooms"
	// CodeNotJoined: the frame names a room the socket has not joined
	// (checked by the caller).
	CodeNotJoined ErrorCode = "not_joined"
	// CodeRateLimited: the client sends faster than allowed; the frame is
	// dropped (checked by the caller).
	CodeRateLimited ErrorCode = "rate_limited"
	// CodeTokenInvalid: auth.refresh carried a token that does not verify or
	// names another user; nothing changed.
	CodeTokenInvalid ErrorCode = "token_invalid"
	// CodeUnavailable: the server could not serve the frame right now (for
	// example Redis is away, or the application's hook did not answer);
	// nothing was delivered and the client may retry.
	CodeUnavailable ErrorCode = "unavailable"
	// CodeHookDenied: the application's connect hook refused the room.join
	// (CONNECT_HOOK_URL); the message is the application's reason.
	CodeHookDenied ErrorCode = "hook_denied"
	// CodeRejected: the application's publish hook refused the chat
	// message (PUBLISH_HOOK_URL); it was neither stored nor delivered.
	CodeRejected ErrorCode = "rejected"
)

// WebSocket close codes used by the server.
const (
	// CloseNormal (1000): orderly close, e.g. the client asked to close.
	CloseNormal = 1000
	// CloseGoingAway (1001): the server is shutting down.
	CloseGoingAway = 1001
	// ClosePolicy (1008): repeated abuse (e.g. many bad or rate-limited
	// frames in a row).
	ClosePolicy = 1008
	// CloseInvalidPayload (1007): a text frame that is not valid UTF-8.
	CloseInvalidPayload = 1007
	// CloseTooLarge (1009): a frame exceeded the maximum frame size.
	CloseTooLarge = 1009
	// CloseInternal (1011): an unexpected server error.
	CloseInternal = 1011
	// CloseIdle (4000): no frame from the client for IDLE_TIMEOUT.
	CloseIdle = 4000
	// CloseTokenExpired (4001): the JWT's exp passed while connected.
	CloseTokenExpired = 4001
	// CloseTooSlow (4002): the client's bounded send queue overflowed.
	CloseTooSlow = 4002
	// CloseDisconnected (4003): the server's backend disconnected the user
	// (the server API); a client must not reconnect on its own.
	CloseDisconnected = 4003
)

// Inbound is one decoded client frame.
type Inbound struct {
	Type string // one of the client types
	// Room is "" when the client omitted it (or sent null or ""); never ""
	// for room.join and room.leave. Its name is not checked.
	Room string
	// Ref is the client's tag for the answer, "" when omitted: 1 to 64
	// printable ASCII characters, to be echoed with WithRef.
	Ref string
	// Text: chat.message only; "" only when Data is given.
	Text string
	// Data: chat.message and room.signal only; a compact copy of the
	// "data" value, nil when absent or null (never nil for room.signal).
	Data  []byte
	Token string // auth.refresh only; never empty there
	// history.get only: Before is a message id or "" for the newest; Limit
	// is 1..MaxPageLimit, DefaultPageLimit when the client omitted it.
	Before string
	Limit  int
	// Since: room.join only; a message id, or "" for no replay.
	Since string
}

// Error is a frame the server cannot serve; Code goes to the client in
// system.error together with Message, which is short and human-readable.
type Error struct {
	Code    ErrorCode
	Message string
}

// Error implements error.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func fail(code ErrorCode, msg string) *Error { return &Error{Code: code, Message: msg} }
