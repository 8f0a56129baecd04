package protocol

import "strconv"

// Encoders return a freshly allocated compact JSON object with the fields
// in the documented order. They use no reflection.

// frameSlack covers the fixed part of every frame: keys, quotes and a
// 20-digit timestamp.
const frameSlack = 96

// Delivery encodes
// {"type":"chat.delivery","room":..,"user":..,"text":..,"data":..,"id":..,"ts":..}:
// "text" only when text is not "", "data" (written as given: compact JSON)
// only when data is not empty. A text-only delivery is the protocol-1
// frame, byte for byte.
func Delivery(room, user, text string, data []byte, id string, ts int64) []byte {
	b := make([]byte, 0, frameSlack+len(room)+len(user)+len(text)+len(data)+len(id))
	b = append(b, `{"type":"chat.delivery","room":`...)
	b = appendString(b, room)
	b = appendString(append(b, `,"user":`...), user)
	b = appendContent(b, text, data)
	b = appendString(append(b, `,"id":`...), id)
	return appendTS(b, ts)
}

// DeliveryDraft encodes Delivery with IDLen placeholder bytes where the id
// goes, and returns where they start: the id is known only once history
// has given the message its position, and writing it in place (SetID)
// spares encoding the frame a second time.
func DeliveryDraft(room, user, text string, data []byte, ts int64) (frame []byte, idAt int) {
	b := make([]byte, 0, frameSlack+len(room)+len(user)+len(text)+len(data)+IDLen)
	b = append(b, `{"type":"chat.delivery","room":`...)
	b = appendString(b, room)
	b = appendString(append(b, `,"user":`...), user)
	b = appendContent(b, text, data)
	b = append(b, `,"id":"`...)
	idAt = len(b)
	b = append(b, zeroID...)
	b = append(b, '"')
	return appendTS(b, ts), idAt
}

// appendContent appends a message's `,"text":..` when text is not "" and
// `,"data":..` when data is not empty.
func appendContent(b []byte, text string, data []byte) []byte {
	if text != "" {
		b = appendString(append(b, `,"text":`...), text)
	}
	if len(data) > 0 {
		b = append(append(b, `,"data":`...), data...)
	}
	return b
}

// zeroID is the placeholder of a draft's id.
const zeroID = "0000000000000000000000000000"

// SetID writes id into a draft's placeholder at idAt.
func SetID(frame []byte, idAt int, id string) { copy(frame[idAt:idAt+IDLen], id) }

// Recovered encodes
// {"type":"history.recovered","room":..,"count":..,"complete":..}.
func Recovered(room string, count int, complete bool) []byte {
	b := make([]byte, 0, frameSlack+len(room))
	b = appendString(append(b, `{"type":"history.recovered","room":`...), room)
	b = strconv.AppendInt(append(b, `,"count":`...), int64(count), 10)
	b = strconv.AppendBool(append(b, `,"complete":`...), complete)
	return append(b, '}')
}

// HistoryPage encodes
// {"type":"history.page","room":..,"messages":[..],"more":..}; messages
// are encoded chat.delivery frames, written into the list as they are.
func HistoryPage(room string, messages [][]byte, more bool) []byte {
	n := frameSlack + len(room)
	for _, m := range messages {
		n += len(m) + 1
	}
	b := make([]byte, 0, n)
	b = appendString(append(b, `{"type":"history.page","room":`...), room)
	b = append(b, `,"messages":[`...)
	for i, m := range messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m...)
	}
	b = strconv.AppendBool(append(b, `],"more":`...), more)
	return append(b, '}')
}

// Ping encodes {"type":"system.ping","ts":..}.
func Ping(ts int64) []byte {
	return appendTS(append(make([]byte, 0, 48), `{"type":"system.ping"`...), ts)
}

// Pong encodes {"type":"system.pong","ts":..}.
func Pong(ts int64) []byte {
	return appendTS(append(make([]byte, 0, 48), `{"type":"system.pong"`...), ts)
}

// PresenceState encodes {"type":"presence.state","room":..,"users":[..]}.
// A nil users slice encodes as [].
func PresenceState(room string, users []string) []byte {
	b := make([]byte, 0, frameSlack+len(room)+listLen(users))
	b = append(b, `{"type":"presence.state","room":`...)
	b = appendList(append(appendString(b, room), `,"users":`...), users)
	return append(b, '}')
}

// PresenceDiff encodes
// {"type":"presence.diff","room":..,"joins":[..],"leaves":[..],"ts":..}:
// several presence changes of one room at once. Nil lists encode as [].
func PresenceDiff(room string, joins, leaves []string, ts int64) []byte {
	b := make([]byte, 0, frameSlack+len(room)+listLen(joins)+listLen(leaves))
	b = append(b, `{"type":"presence.diff","room":`...)
	b = appendList(append(appendString(b, room), `,"joins":`...), joins)
	b = appendList(append(b, `,"leaves":`...), leaves)
	return appendTS(b, ts)
}

// listLen is about what appendList writes for list.
func listLen(list []string) int {
	n := 2
	for _, s := range list {
		n += len(s) + 3
	}
	return n
}

// appendList appends list as a JSON array of strings.
func appendList(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// PresenceJoin encodes {"type":"presence.join","room":..,"user":..,"ts":..}.
func PresenceJoin(room, user string, ts int64) []byte {
	return presence(`{"type":"presence.join","room":`, room, user, ts)
}

// PresenceLeave encodes {"type":"presence.leave","room":..,"user":..,"ts":..}.
func PresenceLeave(room, user string, ts int64) []byte {
	return presence(`{"type":"presence.leave","room":`, room, user, ts)
}

func presence(prefix, room, user string, ts int64) []byte {
	b := make([]byte, 0, frameSlack+len(room)+len(user))
	b = appendString(append(b, prefix...), room)
	b = appendString(append(b, `,"user":`...), user)
	return appendTS(b, ts)
}

// ErrorFrame encodes {"type":"system.error","code":..,"message":..}.
func ErrorFrame(code ErrorCode, message string) []byte {
	b := make([]byte, 0, frameSlack+len(code)+len(message))
	b = appendString(append(b, `{"type":"system.error","code":`...), string(code))
	b = appendString(append(b, `,"message":`...), message)
	return append(b, '}')
}

// appendTS appends `,"ts":<ts>}`, closing the object.
func appendTS(b []byte, ts int64) []byte {
	b = strconv.AppendInt(append(b, `,"ts":`...), ts, 10)
	return append(b, '}')
}

// AuthRefreshed encodes {"type":"auth.refreshed","exp":..}: the new expiry
// in Unix milliseconds, or 0 when the new token has no exp.
func AuthRefreshed(exp int64) []byte {
	b := append(make([]byte, 0, 48), `{"type":"auth.refreshed","exp":`...)
	return append(strconv.AppendInt(b, exp, 10), '}')
}

// maxEscape is the most bytes one byte of a string can take in a frame:
// `<` becomes \u003c, and a byte of invalid UTF-8 \ufffd.
const maxEscape = 6

// MaxDeliveryBytes bounds the size of a chat.delivery frame whose text and
// data together (MessageBytes) are at most maxMessage bytes, every string
// escaped at worst (data is written as it is): what a send queue must have
// room for to take any one message. The same bound covers user.message.
func MaxDeliveryBytes(maxMessage int) int {
	return frameSlack + 64 + maxEscape*(MaxUserBytes+maxMessage) + IDLen + 20
}

// MessageBytes is the size of a message as MAX_MESSAGE_BYTES bounds it:
// its text's bytes plus its data's compact encoding.
func MessageBytes(text string, data []byte) int { return len(text) + len(data) }
