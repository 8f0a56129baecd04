package protocol

import (
	"bytes"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// compactOptions make jsontext's formatter only drop whitespace: strings
// keep their escapes, and what the decoder let through (duplicate names
// inside data, escaped lone surrogates) passes again.
var compactOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsontext.PreserveRawStrings(true),
}

// maxRefLen bounds a ref, which is echoed on answers and may end up in logs.
const maxRefLen = 64

const (
	textRequired = "text must be a non-empty string"
	roomRequired = "room is required"
)

// inbound applies the rules of the frame's type to what read found in src,
// the frame. A failure returns only the Ref and Type it could establish
// (see Decode).
func (f *frame) inbound(src []byte) (Inbound, *Error) {
	head, refErr := f.head()
	if f.dup != "" {
		return head, fail(CodeBadMessage, "duplicate field "+f.dup)
	}
	if f.typ.kind != '"' {
		return head, fail(CodeBadMessage, "type must be a string")
	}
	if head.Type == "" {
		return head, fail(CodeUnknownType, "unknown frame type")
	}
	if refErr != nil {
		return head, refErr
	}
	in := head
	switch f.room.kind {
	case 0, 'n':
	case '"':
		in.Room = f.room.s
	default:
		return head, fail(CodeBadMessage, "room must be a string")
	}
	if e := f.typeRules(&in, src); e != nil {
		return head, e
	}
	return in, nil
}

// head is what a failure returns: the type when it is a client type given
// once, the ref when it is valid and given once. refErr is the ref's own
// failure, reported only once the type is known to be good.
func (f *frame) head() (head Inbound, refErr *Error) {
	if f.typ.kind == '"' && !f.typ.twice {
		head.Type = f.typ.s
	}
	switch f.ref.kind {
	case 0, 'n':
	case '"':
		if !validRef(f.ref.s) {
			return head, fail(CodeBadMessage, "ref must be 1 to 64 printable ASCII characters")
		}
		if !f.ref.twice {
			head.Ref = f.ref.s
		}
	default:
		return head, fail(CodeBadMessage, "ref must be 1 to 64 printable ASCII characters")
	}
	return head, nil
}

// validRef reports whether s is 1 to maxRefLen printable ASCII characters
// (0x20 to 0x7E), which any log line or frame carries safely.
func validRef(s string) bool {
	if s == "" || len(s) > maxRefLen {
		return false
	}
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// typeRules checks and fills in the fields of in's type.
func (f *frame) typeRules(in *Inbound, src []byte) *Error {
	switch in.Type {
	case TypeChatMessage:
		return f.chat(in, src)
	case TypeRoomSignal:
		if !f.hasData() {
			return fail(CodeBadMessage, "data is required")
		}
		return f.copyData(in, src)
	case TypeRoomJoin:
		if in.Room == "" {
			return fail(CodeBadMessage, roomRequired)
		}
		return f.joinSince(in)
	case TypeRoomLeave:
		if in.Room == "" {
			return fail(CodeBadMessage, roomRequired)
		}
	case TypeHistoryGet:
		return f.historyGet(in)
	case TypeAuthRefresh:
		if f.token.kind != '"' || f.token.s == "" {
			return fail(CodeBadMessage, "token must be a non-empty string")
		}
		in.Token = f.token.s
	}
	return nil
}

// hasData reports whether "data" was given and is not null.
func (f *frame) hasData() bool { return f.data.kind != 0 && f.data.kind != 'n' }

// chat reads chat.message's text and data: at least one of them; text,
// unless absent or null, a string, and not "" when it stands alone.
func (f *frame) chat(in *Inbound, src []byte) *Error {
	withData := f.hasData()
	switch f.text.kind {
	case 0, 'n':
	case '"':
		in.Text = f.text.s
	default:
		if withData {
			return fail(CodeBadMessage, "text must be a string")
		}
		return fail(CodeBadMessage, textRequired)
	}
	if !withData {
		if in.Text == "" {
			return fail(CodeBadMessage, textRequired)
		}
		return nil
	}
	return f.copyData(in, src)
}

// copyData stores a compact copy of the data value in in.Data. A value
// without any whitespace byte is compact already and only copied.
func (f *frame) copyData(in *Inbound, src []byte) *Error {
	raw := src[f.data.start:f.data.end]
	if bytes.IndexAny(raw, " \t\r\n") < 0 {
		in.Data = bytes.Clone(raw)
		return nil
	}
	b, err := jsontext.AppendFormat(nil, raw, compactOptions...)
	if err != nil { // read has checked the value; kept for safety
		return fail(CodeBadJSON, "frame is not valid JSON")
	}
	in.Data = b
	return nil
}

// joinSince reads room.join's since: absent, null, "" or a message id.
func (f *frame) joinSince(in *Inbound) *Error {
	switch f.since.kind {
	case 0, 'n':
		return nil
	case '"':
		if f.since.s == "" {
			return nil
		}
		if ValidID(f.since.s) {
			in.Since = f.since.s
			return nil
		}
	}
	return fail(CodeBadSince, "since must be a message id")
}

// clientType returns the constant for a type a client may send, else "".
func clientType(name []byte) string {
	switch string(name) {
	case TypeChatMessage:
		return TypeChatMessage
	case TypePing:
		return TypePing
	case TypePong:
		return TypePong
	case TypePresenceList:
		return TypePresenceList
	case TypeAuthRefresh:
		return TypeAuthRefresh
	case TypeHistoryGet:
		return TypeHistoryGet
	case TypeRoomJoin:
		return TypeRoomJoin
	case TypeRoomLeave:
		return TypeRoomLeave
	case TypeRoomSignal:
		return TypeRoomSignal
	}
	return ""
}

func (f *frame) historyGet(in *Inbound) *Error {
	switch f.before.kind {
	case 0, 'n':
	case '"':
		if !ValidID(f.before.s) {
			return fail(CodeBadMessage, "before must be a message id")
		}
		in.Before = f.before.s
	default:
		return fail(CodeBadMessage, "before must be a message id")
	}
	in.Limit = DefaultPageLimit
	switch f.limit.kind {
	case 0, 'n':
	case '0':
		n, err := strconv.Atoi(f.limit.s)
		if err != nil || n < 1 || n > MaxPageLimit || f.limit.s[0] == '0' {
			return fail(CodeBadMessage, "limit must be an integer from 1 to 100")
		}
		in.Limit = n
	default:
		return fail(CodeBadMessage, "limit must be an integer from 1 to 100")
	}
	return nil
}
