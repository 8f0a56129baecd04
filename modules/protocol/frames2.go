package protocol

// The frames of protocol 2 (many rooms on one socket). Like the others they
// are compact, in the documented field order, made without reflection.

// RoomJoined encodes {"type":"room.joined","room":..}.
func RoomJoined(room string) []byte {
	b := make([]byte, 0, frameSlack+len(room))
	b = appendString(append(b, `{"type":"room.joined","room":`...), room)
	return append(b, '}')
}

// RoomLeft encodes {"type":"room.left","room":..,"reason":..}; reason is
// one of LeftByClient, LeftForbidden, LeftDisconnected.
func RoomLeft(room, reason string) []byte {
	b := make([]byte, 0, frameSlack+len(room)+len(reason))
	b = appendString(append(b, `{"type":"room.left","room":`...), room)
	b = appendString(append(b, `,"reason":`...), reason)
	return append(b, '}')
}

// ChatAck encodes {"type":"chat.ack","room":..,"ref":..,"id":..,"ts":..},
// the answer to a chat.message that had a ref. The ref is one of its
// fields already, in its place: do not pass the frame to WithRef.
func ChatAck(room, ref, id string, ts int64) []byte {
	b := make([]byte, 0, frameSlack+len(room)+len(ref)+len(id))
	b = appendString(append(b, `{"type":"chat.ack","room":`...), room)
	b = appendString(append(b, `,"ref":`...), ref)
	b = appendString(append(b, `,"id":`...), id)
	return appendTS(b, ts)
}

// Signal encodes {"type":"room.signal","room":..,"user":..,"data":..,"ts":..};
// data is compact JSON, written as given (null when empty, which a decoded
// room.signal never is).
func Signal(room, user string, data []byte, ts int64) []byte {
	b := make([]byte, 0, frameSlack+len(room)+len(user)+len(data))
	b = append(b, `{"type":"room.signal","room":`...)
	b = appendString(b, room)
	b = appendString(append(b, `,"user":`...), user)
	b = append(b, `,"data":`...)
	if len(data) == 0 {
		b = append(b, "null"...)
	}
	b = append(b, data...)
	return appendTS(b, ts)
}

// UserMessage encodes
// {"type":"user.message","user":..,"text":..,"data":..,"id":..,"ts":..},
// a message to every socket of one user; text and data are left out as in
// Delivery.
func UserMessage(user, text string, data []byte, id string, ts int64) []byte {
	b := make([]byte, 0, frameSlack+len(user)+len(text)+len(data)+len(id))
	b = appendString(append(b, `{"type":"user.message","user":`...), user)
	b = appendContent(b, text, data)
	b = appendString(append(b, `,"id":`...), id)
	return appendTS(b, ts)
}

// WithRef returns frame with `,"ref":<ref>` as its last field: every direct
// answer to a client frame that had a ref carries it back. With ref "" it
// returns frame itself; otherwise a new slice, frame being left as it is.
// frame must be a compact object such as the encoders here make; anything
// not ending in '}' is returned unchanged.
func WithRef(frame []byte, ref string) []byte {
	n := len(frame)
	if ref == "" || n < 2 || frame[n-1] != '}' {
		return frame
	}
	b := make([]byte, 0, n+len(`,"ref":""`)+maxEscape*len(ref))
	b = append(b, frame[:n-1]...)
	if n > 2 { // not {}
		b = append(b, ',')
	}
	b = appendString(append(b, `"ref":`...), ref)
	return append(b, '}')
}
