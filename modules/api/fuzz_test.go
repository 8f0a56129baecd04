package api

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// FuzzBody feeds arbitrary bytes to the decoding of every request body.
// Whatever comes in, the answer is a body or bad_json/bad_message, never a
// panic; what decodes is valid UTF-8, has a text or data, its data is one
// compact JSON value nested no deeper than the bound, and it reads back
// the same once encoded again (so what the hub is given is what the JSON
// said).
func FuzzBody(f *testing.F) {
	for _, s := range []string{
		`{"user":"bot","text":"hi"}`, `{"room":"lobby","reason":"bye"}`, ``, `{}`, `null`, `[]`,
		`{"user":"a","user":"b"}`, `{"user":1}`, `{"text":"\ud800"}`, "{\"text\":\"\xff\"}",
		`{"user":"bot","text":"hi"} x`, `{"User":"x"}`, `{"x":[[[[[]]]]],"text":"\u0000"}`, ` {"room":null} `,
		`{"user":"bot","data":{"a": [1, "x", null], "b":{}}}`, `{"text":"","data":null}`, `{"data":"[\"{"}`,
		`{"user":"bot","text":"hi","data":{"a":1,"a":2}}`, `{"data":1,"data":2}`, `{"data": -0.5e-3 }`,
		`{"data":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`,
		`{"data":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		user, m, pubErr := decodePublish(body)
		check(t, body, pubErr, user, m.Text, string(m.Data))
		if pubErr == nil {
			checkContent(t, body, m)
			again, m2, err := decodePublish(reencode(t, user, m))
			if err != nil || again != user || m2.Text != m.Text || !bytes.Equal(m2.Data, m.Data) {
				t.Fatalf("%q -> %q %+v -> %q %+v, %v", body, user, m, again, m2, err)
			}
		}
		sent, err := decodeMessage(body)
		check(t, body, err, sent.Text, string(sent.Data))
		if err == nil {
			checkContent(t, body, sent)
		}
		// The two message bodies read text and data alike.
		if pubErr == nil && (err != nil || sent.Text != m.Text || !bytes.Equal(sent.Data, m.Data)) {
			t.Fatalf("%q: published %+v, sent %+v, %v", body, m, sent, err)
		}
		d, err := decodeDisconnect(body)
		check(t, body, err, d.Room, d.Reason)
		if err == nil {
			again, err := decodeDisconnect(reencodeAny(t, d))
			if err != nil || again != d {
				t.Fatalf("%q -> %+v -> %+v, %v", body, d, again, err)
			}
		}
		checkDepth(t, body)
	})
}

func check(t *testing.T, body []byte, err *protocol.Error, fields ...string) {
	t.Helper()
	if err != nil {
		if err.Code != protocol.CodeBadJSON && err.Code != protocol.CodeBadMessage {
			t.Fatalf("%q: code %s", body, err.Code)
		}
		for _, f := range fields {
			if f != "" {
				t.Fatalf("%q: a field %q came back with the error %v", body, f, err)
			}
		}
		return
	}
	for _, f := range fields {
		if !utf8.ValidString(f) {
			t.Fatalf("%q: field %q is not valid UTF-8", body, f)
		}
	}
}

// checkContent fails t unless m is what the hub may be given: a text or
// data, the data one valid JSON value other than null, already compact.
func checkContent(t *testing.T, body []byte, m hub.Content) {
	t.Helper()
	if m.Text == "" && m.Data == nil {
		t.Fatalf("%q: neither text nor data", body)
	}
	if m.Data == nil {
		return
	}
	v := jsontext.Value(bytes.Clone(m.Data))
	if !v.IsValid() || v.Kind() == 'n' {
		t.Fatalf("%q: data %q is not a valid JSON value, or null", body, m.Data)
	}
	if err := v.Compact(); err != nil || !bytes.Equal(v, m.Data) {
		t.Fatalf("%q: data %q is not compact (%q, %v)", body, m.Data, v, err)
	}
}

// checkDepth fails t unless tooDeep says what a parser finds, for a body
// that is valid JSON: more than maxDepth objects and arrays inside each
// other.
func checkDepth(t *testing.T, body []byte) {
	t.Helper()
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	deepest := 0
	for {
		if _, err := dec.ReadToken(); err == io.EOF {
			break
		} else if err != nil {
			return // not JSON (or deeper than the parser goes): nothing to compare with
		}
		deepest = max(deepest, dec.StackDepth())
	}
	if protocol.TooDeep(body) != (deepest > maxDepth) {
		t.Fatalf("%q: tooDeep %v, but it nests %d deep", body, protocol.TooDeep(body), deepest)
	}
}

// reencode writes user and m as a publish body, with encoding/json.
func reencode(t *testing.T, user string, m hub.Content) []byte {
	t.Helper()
	return reencodeAny(t, struct {
		User string          `json:"user"`
		Text string          `json:"text,omitempty"`
		Data json.RawMessage `json:"data,omitempty"`
	}{user, m.Text, m.Data})
}

// reencodeAny is v in JSON, written by encoding/json, with "<" left as is
// (the data then comes back in the same bytes).
func reencodeAny(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
