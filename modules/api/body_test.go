package api

import (
	"strings"
	"testing"

	"rt/modules/protocol"
)

func TestDecodePublish(t *testing.T) {
	for _, tt := range []struct {
		body string
		want publishBody
		code protocol.ErrorCode // "" when it decodes
	}{
		{`{"user":"bot","text":"hi"}`, publishBody{"bot", "hi"}, ""},
		{" \n{\"text\":\"hi\",\"user\":\"bot\"}\t", publishBody{"bot", "hi"}, ""},
		{`{"user":"bot","text":"hi","extra":{"nested":[1,{"x":null}]}}`, publishBody{"bot", "hi"}, ""}, // unknown fields ignored
		{`{"user":"bot","text":"\u00e9\ud83d\ude00"}`, publishBody{"bot", "é😀"}, ""},
		{`{"user":null,"text":"hi"}`, publishBody{"", "hi"}, ""}, // null is absent; the hub refuses the empty user
		{`{"User":"bot","Text":"hi"}`, publishBody{}, ""},        // names match exactly: both absent
		{`{}`, publishBody{}, ""},
		{``, publishBody{}, protocol.CodeBadJSON},
		{`   `, publishBody{}, protocol.CodeBadJSON},
		{`null`, publishBody{}, protocol.CodeBadJSON},
		{`[{"user":"bot","text":"hi"}]`, publishBody{}, protocol.CodeBadJSON},
		{`"hi"`, publishBody{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"hi"`, publishBody{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"hi"} {}`, publishBody{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"hi"}x`, publishBody{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":'hi'}`, publishBody{}, protocol.CodeBadJSON},
		{"{\"user\":\"bot\",\"text\":\"\xff\"}", publishBody{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"\ud800"}`, publishBody{}, protocol.CodeBadJSON}, // a lone surrogate is no character
		{`{"user":"bot","text":"hi",}`, publishBody{}, protocol.CodeBadJSON},
		{`{"user":"bot","user":"eve","text":"hi"}`, publishBody{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":"hi","x":1,"x":2}`, publishBody{}, protocol.CodeBadMessage}, // even an unknown one
		{`{"user":1,"text":"hi"}`, publishBody{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":["hi"]}`, publishBody{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":{"a":"b"}}`, publishBody{}, protocol.CodeBadMessage},
		{`{"user":true,"text":"hi"}`, publishBody{}, protocol.CodeBadMessage},
	} {
		got, err := decodePublish([]byte(tt.body))
		checkDecoded(t, tt.body, got, err, tt.want, tt.code)
	}
}

func TestDecodeDisconnect(t *testing.T) {
	for _, tt := range []struct {
		body string
		want disconnectBody
		code protocol.ErrorCode
	}{
		{``, disconnectBody{}, ""},
		{" \r\n", disconnectBody{}, ""},
		{`{}`, disconnectBody{}, ""},
		{`{"room":null,"reason":null}`, disconnectBody{}, ""},
		{`{"room":"lobby"}`, disconnectBody{Room: "lobby"}, ""},
		{`{"reason":"bye"}`, disconnectBody{Reason: "bye"}, ""},
		{`{"room":"lobby","reason":"` + strings.Repeat("x", 200) + `"}`, disconnectBody{"lobby", strings.Repeat("x", 200)}, ""}, // the hub judges the length
		{`null`, disconnectBody{}, protocol.CodeBadJSON},
		{`"lobby"`, disconnectBody{}, protocol.CodeBadJSON},
		{`{"room":"lobby"`, disconnectBody{}, protocol.CodeBadJSON},
		{`{"room":1}`, disconnectBody{}, protocol.CodeBadMessage},
		{`{"reason":false}`, disconnectBody{}, protocol.CodeBadMessage},
		{`{"room":"a","room":"b"}`, disconnectBody{}, protocol.CodeBadMessage},
	} {
		got, err := decodeDisconnect([]byte(tt.body))
		checkDecoded(t, tt.body, got, err, tt.want, tt.code)
	}
}

// checkDecoded checks one decoded body: want and no error when code is
// empty, else an error with that code.
func checkDecoded[T comparable](t *testing.T, body string, got T, err *protocol.Error, want T, code protocol.ErrorCode) {
	t.Helper()
	switch {
	case code == "" && err != nil:
		t.Errorf("%q: %v", body, err)
	case code == "" && got != want:
		t.Errorf("%q = %+v, want %+v", body, got, want)
	case code != "" && (err == nil || err.Code != code):
		t.Errorf("%q: %+v, %v; want %s", body, got, err, code)
	}
}
