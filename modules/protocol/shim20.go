package protocol

import "strconv"

const (
	TypeRoomJoin    = "room.join"
	TypeRoomLeave   = "room.leave"
	TypeRoomSignal  = "room.signal"
	TypeRoomJoined  = "room.joined"
	TypeRoomLeft    = "room.left"
	TypeChatAck     = "chat.ack"
	TypeUserMessage = "user.message"

	CodeBadRoom        ErrorCode = "bad_room"
	CodeBadSince       ErrorCode = "bad_since"
	CodeRoomForbidden  ErrorCode = "room_forbidden"
	CodeTooManyRooms   ErrorCode = "too_many_rooms"
	CodeNotJoined      ErrorCode = "not_joined"
	CodeMessageTooLong ErrorCode = "message_too_long"
	LeftByClient                 = "left"
	LeftForbidden                = "forbidden"
	LeftDisconnected             = "disconnected"
)

func MessageBytes(text string, data []byte) int { return len(text) + len(data) }

func RoomJoined(room string) []byte {
	return append(appendString([]byte(`{"type":"room.joined","room":`), room), '}')
}

func RoomLeft(room, reason string) []byte {
	b := appendString([]byte(`{"type":"room.left","room":`), room)
	return append(appendString(append(b, `,"reason":`...), reason), '}')
}

func ChatAck(room, ref, id string, ts int64) []byte {
	b := appendString([]byte(`{"type":"chat.ack","room":`), room)
	b = appendString(append(b, `,"ref":`...), ref)
	b = appendString(append(b, `,"id":`...), id)
	return appendTS(b, ts)
}

func Signal(room, user string, data []byte, ts int64) []byte {
	b := appendString([]byte(`{"type":"room.signal","room":`), room)
	b = appendString(append(b, `,"user":`...), user)
	b = append(append(b, `,"data":`...), data...)
	return appendTS(b, ts)
}

func UserMessage(user, text string, data []byte, id string, ts int64) []byte {
	b := appendString([]byte(`{"type":"user.message","user":`), user)
	if text != "" {
		b = appendString(append(b, `,"text":`...), text)
	}
	if data != nil {
		b = append(append(b, `,"data":`...), data...)
	}
	b = appendString(append(b, `,"id":`...), id)
	return appendTS(b, ts)
}

func WithRef(frame []byte, ref string) []byte {
	if ref == "" {
		return frame
	}
	b := append([]byte(nil), frame[:len(frame)-1]...)
	b = appendString(append(b, `,"ref":`...), ref)
	return append(b, '}')
}

var _ = strconv.Itoa
