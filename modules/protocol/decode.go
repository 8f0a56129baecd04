package protocol

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// decodeOptions relax two jsontext defaults to keep the frame rules:
// names may repeat (frame.read refuses a known one given twice; unknown
// ones, nested objects included, are not looked at), and an escaped lone
// surrogate reads as U+FFFD, as in encoding/json. Raw invalid UTF-8 is
// refused by Decode before the decoder sees it.
var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// decoders holds reusable decoders, so that a frame costs no allocation
// beyond the strings it returns. A decoder reads a copy of the frame.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

type decoder struct {
	src bytes.Reader
	dec jsontext.Decoder
}

// Decode parses one client frame. When the error is not nil it is always a
// *Error whose Code belongs in a system.error frame. The returned strings
// never alias data, so the caller may reuse the buffer.
//
// Room match and text length are not checked here.
func Decode(data []byte) (Inbound, error) {
	if jsontext.Value(data).Kind() != '{' {
		return Inbound{}, fail(CodeBadJSON, "frame must be a JSON object")
	}
	if !utf8.Valid(data) {
		return Inbound{}, fail(CodeBadJSON, "frame is not valid UTF-8")
	}
	d := decoders.Get().(*decoder)
	d.src.Reset(data)
	d.dec.Reset(&d.src, decodeOptions...)
	var f frame
	err := f.read(&d.dec)
	d.src.Reset(nil) // the pool keeps no reference to data
	decoders.Put(d)
	if err != nil {
		return Inbound{}, fail(CodeBadJSON, "frame is not valid JSON")
	}
	in, e := f.inbound()
	if e != nil {
		return Inbound{}, e
	}
	return in, nil
}

// frame holds the known keys of a client frame as read, before the rules.
type frame struct {
	typ, room, text, token field
	before, limit          field
	dup                    string // the first known key given twice
}

// field is one known key's value: kind is 0 when absent, else the
// jsontext.Kind of the value ('"' for a string, whose content is s).
type field struct {
	kind jsontext.Kind
	s    string
}

// errTrailing: the object is followed by more than whitespace.
var errTrailing = errors.New("data after the object")

// read reads the top-level object, which Decode has checked starts with
// '{', and checks that nothing follows it. It reads on past a duplicate so
// that invalid JSON later in the frame is still reported first, as
// bad_json.
func (f *frame) read(dec *jsontext.Decoder) error {
	if _, err := dec.ReadToken(); err != nil { // '{'
		return err
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadValue()
		if err != nil {
			return err
		}
		dst, key := f.known(unquote(name))
		if dst == nil {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if dst.kind != 0 && f.dup == "" {
			f.dup = key
		}
		if err := dst.read(dec, dst == &f.typ); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil { // '}', or the error that ended the loop
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return errTrailing
	}
	return nil
}

// known returns where the value of the key name goes and its name, or nil
// for a key that is not one of the known ones (matched exactly).
func (f *frame) known(name []byte) (*field, string) {
	switch string(name) {
	case "type":
		return &f.typ, "type"
	case "room":
		return &f.room, "room"
	case "text":
		return &f.text, "text"
	case "token":
		return &f.token, "token"
	case "before":
		return &f.before, "before"
	case "limit":
		return &f.limit, "limit"
	}
	return nil, ""
}

// read stores the next value. A string is kept (for the type, only as one
// of the client type constants, so no copy is made), and so is a number's
// literal; any other value is skipped and only its kind recorded.
func (v *field) read(dec *jsontext.Decoder, isType bool) error {
	v.kind = dec.PeekKind()
	if v.kind == '0' && !isType {
		raw, err := dec.ReadValue()
		v.s = string(raw)
		return err
	}
	if v.kind != '"' {
		return dec.SkipValue()
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if isType {
		v.s = clientType(unquote(raw))
	} else {
		v.s = string(unquote(raw))
	}
	return nil
}

// unquote returns the content of a JSON string the decoder has read. Data
// is valid UTF-8, so without escapes the content is a sub-slice of raw.
func unquote(raw jsontext.Value) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	b, _ := jsontext.AppendUnquote(nil, raw) // only a lone surrogate errs: U+FFFD
	return b
}

func (f *frame) inbound() (Inbound, *Error) {
	if f.dup != "" {
		return Inbound{}, fail(CodeBadMessage, "duplicate field "+f.dup)
	}
	if f.typ.kind != '"' {
		return Inbound{}, fail(CodeBadMessage, "type must be a string")
	}
	in := Inbound{Type: f.typ.s}
	if in.Type == "" {
		return Inbound{}, fail(CodeUnknownType, "unknown frame type")
	}
	switch f.room.kind {
	case 0, 'n':
	case '"':
		in.Room = f.room.s
	default:
		return Inbound{}, fail(CodeBadMessage, "room must be a string")
	}
	if in.Type == TypeChatMessage {
		if f.text.kind != '"' || f.text.s == "" {
			return Inbound{}, fail(CodeBadMessage, "text must be a non-empty string")
		}
		in.Text = f.text.s
	}
	if in.Type == TypeHistoryGet {
		return f.historyGet(in)
	}
	if in.Type == TypeAuthRefresh {
		if f.token.kind != '"' || f.token.s == "" {
			return Inbound{}, fail(CodeBadMessage, "token must be a non-empty string")
		}
		in.Token = f.token.s
	}
	return in, nil
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
	}
	return ""
}

// historyGet reads history.get's before (absent, null or a message id) and
// limit (absent, null or an integer 1..MaxPageLimit written without a
// fraction or exponent).
func (f *frame) historyGet(in Inbound) (Inbound, *Error) {
	switch f.before.kind {
	case 0, 'n':
	case '"':
		if !ValidID(f.before.s) {
			return Inbound{}, fail(CodeBadMessage, "before must be a message id")
		}
		in.Before = f.before.s
	default:
		return Inbound{}, fail(CodeBadMessage, "before must be a message id")
	}
	in.Limit = DefaultPageLimit
	switch f.limit.kind {
	case 0, 'n':
	case '0':
		n, err := strconv.Atoi(f.limit.s)
		if err != nil || n < 1 || n > MaxPageLimit || f.limit.s[0] == '0' {
			return Inbound{}, fail(CodeBadMessage, "limit must be an integer from 1 to 100")
		}
		in.Limit = n
	default:
		return Inbound{}, fail(CodeBadMessage, "limit must be an integer from 1 to 100")
	}
	return in, nil
}
