package hooks

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

func TestParseAnswer(t *testing.T) {
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	tests := []struct {
		name, in string
		bad      bool
		allow    bool
		reason   string
		code     string
		text     string // "<nil>" when Text must be nil
		data     string // "" when Data must be nil
	}{
		{name: "allow", in: `{"allow":true}`, allow: true, text: "<nil>"},
		{name: "deny with reason", in: `{"allow":false,"reason":"banned"}`, reason: "banned", text: "<nil>"},
		{name: "reject with code", in: `{"allow":false,"code":"rejected","reason":"spam"}`, code: "rejected", reason: "spam", text: "<nil>"},
		{name: "whitespace around", in: " \n{ \"allow\" : true }\n", allow: true, text: "<nil>"},
		{name: "unknown names ignored", in: `{"allow":true,"user":"x","extra":{"a":[1]}}`, allow: true, text: "<nil>"},
		{name: "names are exact", in: `{"allow":true,"Text":"x","DATA":1}`, allow: true, text: "<nil>"},
		{name: "rewrite text", in: `{"allow":true,"text":"hi ***"}`, allow: true, text: "hi ***"},
		{name: "clear text", in: `{"allow":true,"text":""}`, allow: true, text: ""},
		{name: "text null is absent", in: `{"allow":true,"text":null}`, allow: true, text: "<nil>"},
		{name: "reason null is absent", in: `{"allow":false,"reason":null}`, text: "<nil>"},
		{name: "rewrite data compacted", in: `{"allow":true,"data":{ "a" : [ 1, 2 ] }}`, allow: true, text: "<nil>", data: `{"a":[1,2]}`},
		{name: "data null clears", in: `{"allow":true,"data":null}`, allow: true, text: "<nil>", data: `null`},
		{name: "data scalar", in: `{"allow":true,"data":1e3}`, allow: true, text: "<nil>", data: `1e3`},
		{name: "data empty array", in: `{"allow":true,"data":[]}`, allow: true, text: "<nil>", data: `[]`},
		{name: "text and data", in: `{"allow":true,"text":"t","data":"d"}`, allow: true, text: "t", data: `"d"`},
		{name: "escaped text", in: `{"allow":true,"text":"a\u00e9\n"}`, allow: true, text: "aé\n"},

		{name: "empty", in: ``, bad: true},
		{name: "null", in: `null`, bad: true},
		{name: "array", in: `[{"allow":true}]`, bad: true},
		{name: "string", in: `"allow"`, bad: true},
		{name: "no allow", in: `{}`, bad: true},
		{name: "allow null", in: `{"allow":null}`, bad: true},
		{name: "allow a string", in: `{"allow":"true"}`, bad: true},
		{name: "allow a number", in: `{"allow":1}`, bad: true},
		{name: "allow twice", in: `{"allow":true,"allow":false}`, bad: true},
		{name: "text twice", in: `{"allow":true,"text":"a","text":"b"}`, bad: true},
		{name: "duplicate inside data", in: `{"allow":true,"data":{"a":1,"a":2}}`, bad: true},
		{name: "reason a number", in: `{"allow":false,"reason":3}`, bad: true},
		{name: "code an object", in: `{"allow":false,"code":{}}`, bad: true},
		{name: "text a number", in: `{"allow":true,"text":1}`, bad: true},
		{name: "trailing garbage", in: `{"allow":true} x`, bad: true},
		{name: "two objects", in: `{"allow":true}{"allow":false}`, bad: true},
		{name: "truncated", in: `{"allow":true`, bad: true},
		{name: "invalid utf-8", in: "{\"allow\":true,\"text\":\"\xff\"}", bad: true},
		{name: "lone surrogate", in: `{"allow":true,"text":"\ud800"}`, bad: true},
		{name: "too deep", in: `{"allow":true,"data":` + deep + `}`, bad: true},
		{name: "html page", in: `<html>502 Bad Gateway</html>`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAnswer([]byte(tt.in))
			if tt.bad {
				if !errors.Is(err, ErrBadAnswer) {
					t.Fatalf("got %+v, %v; want ErrBadAnswer", a, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			text := "<nil>"
			if a.Text != nil {
				text = *a.Text
			}
			if a.Allow != tt.allow || a.Reason != tt.reason || a.Code != tt.code || text != tt.text || string(a.Data) != tt.data {
				t.Errorf("got allow=%v reason=%q code=%q text=%q data=%q; want %v %q %q %q %q",
					a.Allow, a.Reason, a.Code, text, a.Data, tt.allow, tt.reason, tt.code, tt.text, tt.data)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	tests := []struct{ in, want string }{
		{"banned", "banned"},
		{"  spaced  ", "spaced"},
		{"line\nbreak\r\ttab", "line break  tab"},
		{"bell\x07 esc\x1b[31m", "bell  esc [31m"},
		{"zero\u200bwidth, rtl\u202e", "zero width, rtl"},
		{long, strings.Repeat("é", 100)},
		{strings.Repeat("a", 199) + "é", strings.Repeat("a", 199)}, // é would end past byte 200
		{"", ""},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseAnswer: whatever the backend answers, the parser returns an
// answer or ErrBadAnswer, never panics, and what it keeps is fit to pass
// on: data compact valid JSON, a sanitised reason short and printable.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"allow":true}`, `{"allow":false,"reason":"no"}`, `{"allow":true,"text":"x","data":{"a":[1,{"b":null}]}}`,
		`{"allow":true,"data":null}`, `{"allow":true,"allow":true}`, `null`, `{"allow":true} {}`, "{\"allow\":true,\"text\":\"\xff\"}",
		`{"allow":false,"reason":"\u0007\u202e` + strings.Repeat("x", 300) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAnswer(b)
		if err != nil {
			if !errors.Is(err, ErrBadAnswer) {
				t.Fatalf("error %v is not ErrBadAnswer", err)
			}
			return
		}
		if a.Data != nil && (!a.Data.IsValid() || len(a.Data) != len(compacted(t, a.Data))) {
			t.Fatalf("data %q is not compact valid JSON", a.Data)
		}
		r := Sanitize(a.Reason)
		if len(r) > MaxReasonBytes || strings.ContainsFunc(r, func(c rune) bool { return c < ' ' || c == 0x7f }) {
			t.Fatalf("reason %q not sanitised", r)
		}
	})
}

func compacted(t *testing.T, v []byte) []byte {
	t.Helper()
	c := append([]byte(nil), v...)
	val := jsontext.Value(c)
	if err := val.Compact(); err != nil {
		t.Fatalf("compact %q: %v", v, err)
	}
	return val
}
