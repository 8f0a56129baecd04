package api

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"rt/modules/protocol"
)

// FuzzBody feeds arbitrary bytes to the decoding of both request bodies.
// Whatever comes in, the answer is a body or bad_json/bad_message, never a
// panic; what decodes is valid UTF-8, and reads back the same once encoded
// again (so what the hub is given is what the JSON said).
func FuzzBody(f *testing.F) {
	for _, s := range []string{
		`{"user":"bot","text":"hi"}`, `{"room":"lobby","reason":"bye"}`, ``, `{}`, `null`, `[]`,
		`{"user":"a","user":"b"}`, `{"user":1}`, `{"text":"\ud800"}`, "{\"text\":\"\xff\"}",
		`{"user":"bot","text":"hi"} x`, `{"User":"x"}`, `{"x":[[[[[]]]]],"text":"\u0000"}`, ` {"room":null} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePublish(body)
		check(t, body, err, p.User, p.Text)
		if err == nil {
			again, err := decodePublish(reencode(t, p))
			if err != nil || again != p {
				t.Fatalf("%q -> %+v -> %+v, %v", body, p, again, err)
			}
		}
		d, err := decodeDisconnect(body)
		check(t, body, err, d.Room, d.Reason)
		if err == nil {
			again, err := decodeDisconnect(reencode(t, d))
			if err != nil || again != d {
				t.Fatalf("%q -> %+v -> %+v, %v", body, d, again, err)
			}
		}
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

func reencode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
