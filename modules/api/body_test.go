package api

import (
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/protocol"
)

// published is what decodePublish gave, comparable.
type published struct{ user, text, data string }

func decodedPublish(body string) (published, *protocol.Error) {
	user, m, err := decodePublish([]byte(body))
	return published{user, m.Text, string(m.Data)}, err
}

func TestDecodePublish(t *testing.T) {
	for _, tt := range []struct {
		body string
		want published
		code protocol.ErrorCode // "" when it decodes
	}{
		{`{"user":"bot","text":"hi"}`, published{"bot", "hi", ""}, ""},
		{" \n{\"text\":\"hi\",\"user\":\"bot\"}\t", published{"bot", "hi", ""}, ""},
		{`{"user":"bot","text":"hi","extra":{"nested":[1,{"x":null}]}}`, published{"bot", "hi", ""}, ""}, // unknown fields ignored
		{`{"user":"bot","text":"\u00e9\ud83d\ude00"}`, published{"bot", "é😀", ""}, ""},
		{`{"user":null,"text":"hi"}`, published{"", "hi", ""}, ""},           // null is absent; the hub refuses the empty user
		{`{"user":"","text":"hi"}`, published{"", "hi", ""}, ""},             // the hub's to refuse
		{`{"User":"bot","Text":"hi"}`, published{}, protocol.CodeBadMessage}, // names match exactly: no text
		{`{}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot"}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":""}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":null}`, published{}, protocol.CodeBadMessage},
		{``, published{}, protocol.CodeBadJSON},
		{`   `, published{}, protocol.CodeBadJSON},
		{`null`, published{}, protocol.CodeBadJSON},
		{`[{"user":"bot","text":"hi"}]`, published{}, protocol.CodeBadJSON},
		{`"hi"`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"hi"`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"hi"} {}`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"hi"}x`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":'hi'}`, published{}, protocol.CodeBadJSON},
		{"{\"user\":\"bot\",\"text\":\"\xff\"}", published{}, protocol.CodeBadJSON},
		{`{"user":"bot","text":"\ud800"}`, published{}, protocol.CodeBadJSON}, // a lone surrogate is no character
		{`{"user":"bot","text":"hi",}`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","user":"eve","text":"hi"}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":"hi","x":1,"x":2}`, published{}, protocol.CodeBadMessage}, // even an unknown one
		{`{"user":1,"text":"hi"}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":["hi"]}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":{"a":"b"}}`, published{}, protocol.CodeBadMessage},
		{`{"user":true,"text":"hi"}`, published{}, protocol.CodeBadMessage},
	} {
		got, err := decodedPublish(tt.body)
		checkDecoded(t, tt.body, got, err, tt.want, tt.code)
	}
}

// A message's data: any JSON value but null, compacted; with or without a
// text.
func TestDecodePublishData(t *testing.T) {
	for _, tt := range []struct {
		body string
		want published
		code protocol.ErrorCode
	}{
		{`{"user":"bot","data":{"a": [1, 2], "b" : {"c":null}}}`, published{"bot", "", `{"a":[1,2],"b":{"c":null}}`}, ""},
		{`{"user":"bot","data":[ 1 , "two" , false ]}`, published{"bot", "", `[1,"two",false]`}, ""},
		{`{"user":"bot","data":"a string"}`, published{"bot", "", `"a string"`}, ""},
		{`{"user":"bot","data":-1.5e3}`, published{"bot", "", `-1.5e3`}, ""}, // numbers as written
		{`{"user":"bot","data":true}`, published{"bot", "", `true`}, ""},
		{`{"user":"bot","data":false}`, published{"bot", "", `false`}, ""},
		{`{"user":"bot","data":0}`, published{"bot", "", `0`}, ""},
		{`{"user":"bot","data":""}`, published{"bot", "", `""`}, ""},               // an empty string is a value
		{`{"user":"bot","data":{}}`, published{"bot", "", `{}`}, ""},               // so is an empty object
		{`{"user":"bot","data":"\u00e9 "}`, published{"bot", "", `"\u00e9 "`}, ""}, // strings as written
		{`{"user":"bot","text":"hi","data":{"k":1}}`, published{"bot", "hi", `{"k":1}`}, ""},
		{`{"user":"bot","text":"","data":{"k":1}}`, published{"bot", "", `{"k":1}`}, ""}, // an empty text is none
		{`{"user":"bot","text":null,"data":[1]}`, published{"bot", "", `[1]`}, ""},
		{`{"user":"bot","text":"hi","data":null}`, published{"bot", "hi", ""}, ""}, // null data is none
		{`{"user":"bot","data":null}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":"","data":null}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","text":1,"data":{}}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","data":1,"data":2}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","data":null,"data":{}}`, published{}, protocol.CodeBadMessage},
		{`{"user":"bot","data":{"a":1,"a":2}}`, published{}, protocol.CodeBadMessage}, // a name twice inside data too
		{`{"user":"bot","data":[{"a":1},{"a":2}]}`, published{"bot", "", `[{"a":1},{"a":2}]`}, ""},
		{`{"user":"bot","data":{"a":1}`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","data":undefined}`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","data":NaN}`, published{}, protocol.CodeBadJSON},
		{`{"user":"bot","data":"\ud800"}`, published{}, protocol.CodeBadJSON},
		{"{\"user\":\"bot\",\"data\":\"\xff\"}", published{}, protocol.CodeBadJSON},
	} {
		got, err := decodedPublish(tt.body)
		checkDecoded(t, tt.body, got, err, tt.want, tt.code)
	}
}

// A body may nest objects and arrays 32 deep, itself included; one more
// level is bad_json, whatever the rest of it, and brackets in strings do
// not count.
func TestDecodeDepth(t *testing.T) {
	nested := func(levels int) string { // the body itself and levels-1 arrays in data
		return `{"user":"bot","data":` + strings.Repeat("[", levels-1) + strings.Repeat("]", levels-1) + `}`
	}
	if got, err := decodedPublish(nested(32)); err != nil || got.data != strings.Repeat("[", 31)+strings.Repeat("]", 31) {
		t.Errorf("32 deep: %+v, %v", got, err)
	}
	for _, body := range []string{
		nested(33),
		nested(10000),
		`{"user":"bot","data":` + strings.Repeat(`{"a":`, 32) + `1` + strings.Repeat("}", 32) + `}`,
		strings.Repeat("[", 33),                          // not even JSON: refused as deep first
		`{"x":1,"x":2,"data":` + strings.Repeat("[", 40), // before the name given twice is seen
	} {
		if _, err := decodedPublish(body); err == nil || err.Code != protocol.CodeBadJSON || err != errTooDeep {
			t.Errorf("%.60q...: %v, want bad_json for the depth", body, err)
		}
	}
	brackets := `{"user":"bot","text":"` + strings.Repeat("[{", 40) + `\"` + strings.Repeat("[", 40) + `"}`
	if got, err := decodedPublish(brackets); err != nil || got.text == "" {
		t.Errorf("brackets in a string: %+v, %v", got, err)
	}
	if _, err := decodeMessage([]byte(`{"data":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`)); err != errTooDeep {
		t.Errorf("a user message 33 deep: %v", err)
	}
	if _, err := decodeDisconnect([]byte(`{"room":"x","y":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`)); err != errTooDeep {
		t.Errorf("a disconnect 33 deep: %v", err)
	}
}

// The data handed on is a copy: the request's buffer, which Fiber reuses,
// can change under it without changing it.
func TestDecodedDataIsACopy(t *testing.T) {
	body := []byte(`{"user":"bot","data":{"k":"value"}}`)
	_, m, err := decodePublish(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if string(m.Data) != `{"k":"value"}` {
		t.Errorf("data %q after the body changed", m.Data)
	}
}

func TestDecodeMessage(t *testing.T) {
	for _, tt := range []struct {
		body string
		want published // user left empty
		code protocol.ErrorCode
	}{
		{`{"text":"hi"}`, published{"", "hi", ""}, ""},
		{`{"data":{"k": 1}}`, published{"", "", `{"k":1}`}, ""},
		{`{"text":"hi","data":[true]}`, published{"", "hi", "[true]"}, ""},
		{`{"user":"ignored","text":"hi"}`, published{"", "hi", ""}, ""},
		{`{}`, published{}, protocol.CodeBadMessage},
		{`{"text":""}`, published{}, protocol.CodeBadMessage},
		{`{"data":null}`, published{}, protocol.CodeBadMessage},
		{`{"text":7}`, published{}, protocol.CodeBadMessage},
		{`{"text":"a","text":"b"}`, published{}, protocol.CodeBadMessage},
		{`["hi"]`, published{}, protocol.CodeBadJSON},
		{``, published{}, protocol.CodeBadJSON},
	} {
		m, err := decodeMessage([]byte(tt.body))
		checkDecoded(t, tt.body, published{"", m.Text, string(m.Data)}, err, tt.want, tt.code)
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
