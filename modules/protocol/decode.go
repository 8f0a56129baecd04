package protocol

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Decode parses one client frame. When the error is not nil it is always a
// *Error whose Code belongs in a system.error frame. The returned strings
// never alias data, so the caller may reuse the buffer.
//
// Room match and text length are not checked here.
func Decode(data []byte) (Inbound, error) {
	if e := checkObject(data); e != nil {
		return Inbound{}, e
	}
	f, e := scanFields(data)
	if e != nil {
		return Inbound{}, e
	}
	in, e := f.inbound()
	if e != nil {
		return Inbound{}, e
	}
	return in, nil
}

// checkObject accepts exactly one valid JSON object in valid UTF-8.
func checkObject(data []byte) *Error {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return fail(CodeBadJSON, "frame must be a JSON object")
	}
	if !utf8.Valid(data) {
		return fail(CodeBadJSON, "frame is not valid UTF-8")
	}
	if !json.Valid(data) {
		return fail(CodeBadJSON, "frame is not valid JSON")
	}
	return nil
}

// fields holds the raw JSON values of the known keys; nil means absent.
type fields struct{ typ, room, text, token []byte }

// scanFields walks the top-level object of data, which checkObject has
// already validated, so the walk needs no error handling of its own.
func scanFields(b []byte) (fields, *Error) {
	var f fields
	i := skipSpace(b, 0) + 1 // past '{'
	for {
		i = skipSpace(b, i)
		switch b[i] {
		case '}':
			return f, nil
		case ',':
			i = skipSpace(b, i+1)
		}
		end := skipString(b, i)
		key := b[i:end]
		i = skipSpace(b, skipSpace(b, end)+1) // past ':'
		end = skipValue(b, i)
		if e := f.set(key, b[i:end]); e != nil {
			return f, e
		}
		i = end
	}
}

// set records the value of a known key; unknown keys are ignored.
func (f *fields) set(key, val []byte) *Error {
	name, _ := unquote(key)
	var dst *[]byte
	switch string(name) {
	case "type":
		dst = &f.typ
	case "room":
		dst = &f.room
	case "text":
		dst = &f.text
	case "token":
		dst = &f.token
	default:
		return nil
	}
	if *dst != nil {
		return fail(CodeBadMessage, "duplicate field "+string(name))
	}
	*dst = val
	return nil
}

func (f fields) inbound() (Inbound, *Error) {
	name, ok := unquote(f.typ)
	if !ok {
		return Inbound{}, fail(CodeBadMessage, "type must be a string")
	}
	in := Inbound{Type: clientType(name)}
	if in.Type == "" {
		return Inbound{}, fail(CodeUnknownType, "unknown frame type")
	}
	if f.room != nil && string(f.room) != "null" {
		room, ok := unquote(f.room)
		if !ok {
			return Inbound{}, fail(CodeBadMessage, "room must be a string")
		}
		in.Room = string(room)
	}
	if in.Type == TypeChatMessage {
		text, ok := unquote(f.text)
		if !ok || len(text) == 0 {
			return Inbound{}, fail(CodeBadMessage, "text must be a non-empty string")
		}
		in.Text = string(text)
	}
	if in.Type == TypeAuthRefresh {
		token, ok := unquote(f.token)
		if !ok || len(token) == 0 {
			return Inbound{}, fail(CodeBadMessage, "token must be a non-empty string")
		}
		in.Token = string(token)
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
	}
	return ""
}

// unquote returns the content of a raw JSON string value; ok is false
// when raw is absent or not a string. Without escapes it returns a
// sub-slice of raw (no allocation).
func unquote(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false // unreachable for validated input
	}
	return []byte(s), true
}
