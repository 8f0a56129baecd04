package protocol

import (
	"bytes"
	"errors"
	"io"
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

// maxPooledFrame is the largest frame whose decoder goes back to the pool:
// the decoder keeps the buffer it grew to hold a frame, and a pooled
// megabyte per rare large frame is not worth keeping.
const maxPooledFrame = 64 << 10

// Decode parses one client frame. When the error is not nil it is always a
// *Error whose Code belongs in a system.error frame. The returned strings
// and Data never alias data, so the caller may reuse the buffer.
//
// With an error, the returned Inbound is zero except for Ref and Type:
// Ref is set when the frame carried a valid ref (even though another field
// was wrong), Type when the type is a client type, so that the caller can
// put the ref on its system.error. A frame that is not a JSON object has
// neither.
//
// Room match, room names and message length are not checked here.
func Decode(data []byte) (Inbound, error) {
	if jsontext.Value(data).Kind() != '{' {
		return Inbound{}, fail(CodeBadJSON, "frame must be a JSON object")
	}
	if TooDeep(data) {
		return Inbound{}, fail(CodeBadJSON, "frame is nested too deeply")
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
	if len(data) <= maxPooledFrame {
		decoders.Put(d)
	}
	if err != nil {
		return Inbound{}, fail(CodeBadJSON, "frame is not valid JSON")
	}
	in, e := f.inbound(data)
	if e != nil {
		return in, e
	}
	return in, nil
}

// frame holds the known keys of a client frame as read, before the rules.
type frame struct {
	typ, room, text, token field
	before, limit          field
	ref, since             field
	data                   span
	dup                    string // the first known key given twice
}

// span is where the value of "data" lies in the frame: kind is 0 when
// absent, else its jsontext.Kind. It is copied out only for the frame
// types that carry data, once the type is known (it may come last).
type span struct {
	kind       jsontext.Kind
	start, end int
}

// field is one known key's value: kind is 0 when absent, else the
// jsontext.Kind of the value ('"' for a string, whose content is s, and
// '0' for a number, whose literal is s).
type field struct {
	s     string
	kind  jsontext.Kind
	twice bool // given more than once; s holds the last
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
		dst, known := f.known(unquote(name))
		if known == "data" {
			if err := f.readData(dec); err != nil {
				return err
			}
			continue
		}
		if dst == nil {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		f.seen(dst, known)
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

// seen marks dst, the field of key, as given twice when it was given
// before, and records key as the frame's duplicate when it is the first.
func (f *frame) seen(dst *field, key string) {
	if dst.kind == 0 {
		return
	}
	dst.twice = true
	if f.dup == "" {
		f.dup = key
	}
}

// readData notes where the value of "data" lies in the input, which the
// decoder reads from its start, so the value needs no copy yet.
func (f *frame) readData(dec *jsontext.Decoder) error {
	if f.data.kind != 0 && f.dup == "" {
		f.dup = "data"
	}
	f.data.kind = dec.PeekKind()
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	f.data.end = int(dec.InputOffset())
	f.data.start = f.data.end - len(raw)
	return nil
}

// known returns where the value of the key name goes and its name, or nil
// for a key that is not one of the known ones (matched exactly). "data" is
// known but has no field: its value is only located (readData).
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
	case "ref":
		return &f.ref, "ref"
	case "since":
		return &f.since, "since"
	case "data":
		return nil, "data"
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
