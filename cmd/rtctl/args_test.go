package main

import (
	"encoding/json"
	"errors"
	"flag"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want request
	}{
		{"publish", []string{"publish", "lobby", "hello"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "system", "text": "hello"}}},
		{"publish as a user, flag after", []string{"publish", "lobby", "hello there", "-user", "bot"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "bot", "text": "hello there"}}},
		{"publish, flag first, with =", []string{"-user=bot", "publish", "lobby", "hi"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "bot", "text": "hi"}}},
		{"publish, flag between", []string{"publish", "--user", "bot", "lobby", "hi"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "bot", "text": "hi"}}},
		{"publish a text starting with -", []string{"publish", "-user", "bot", "lobby", "--", "-1 is less"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "bot", "text": "-1 is less"}}},
		{"publish a lone -", []string{"publish", "lobby", "-"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "system", "text": "-"}}},
		{"room with a slash is one segment", []string{"publish", "a/b", "x"},
			request{"POST", "/api/rooms/a%2Fb/messages", nil, map[string]any{"user": "system", "text": "x"}}},
		{"publish with data", []string{"publish", "lobby", "hi", "-data", `{"k": [1, 2]}`},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "system", "text": "hi", "data": json.RawMessage(`{"k": [1, 2]}`)}}},
		{"publish data alone, --data", []string{"publish", "lobby", "", "--data", `"a string"`, "-user", "bot"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "bot", "data": json.RawMessage(`"a string"`)}}},
		{"publish data null is sent; the server judges it", []string{"publish", "lobby", "hi", "-data=null"},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "system", "text": "hi", "data": json.RawMessage(`null`)}}},
		{"publish an empty -data is none", []string{"publish", "lobby", "hi", "-data", ""},
			request{"POST", "/api/rooms/lobby/messages", nil, map[string]any{"user": "system", "text": "hi"}}},
		{"send", []string{"send", "alice", "your export is ready"},
			request{"POST", "/api/users/alice/messages", nil, map[string]any{"text": "your export is ready"}}},
		{"send to a user id with a space and a slash", []string{"send", "bob smith/2", "hi"},
			request{"POST", "/api/users/bob%20smith%2F2/messages", nil, map[string]any{"text": "hi"}}},
		{"send with data", []string{"send", "alice", "hi", "-data", "[true, 2]"},
			request{"POST", "/api/users/alice/messages", nil, map[string]any{"text": "hi", "data": json.RawMessage(`[true, 2]`)}}},
		{"send data alone", []string{"send", "-data", "7", "alice", ""},
			request{"POST", "/api/users/alice/messages", nil, map[string]any{"data": json.RawMessage(`7`)}}},
		{"room with ? and #", []string{"presence", "a?b#c"},
			request{"GET", "/api/rooms/a%3Fb%23c/presence", nil, nil}},
		{"presence", []string{"presence", "lobby"},
			request{"GET", "/api/rooms/lobby/presence", nil, nil}},
		{"presence of a room with the allowed punctuation", []string{"presence", "a.b_c:d-e"},
			request{"GET", "/api/rooms/a.b_c:d-e/presence", nil, nil}},
		{"history", []string{"history", "lobby"},
			request{"GET", "/api/rooms/lobby/history", nil, nil}},
		{"history with before and limit", []string{"history", "lobby", "-before", "01a2154fa91f0000000000000000", "-limit", "10"},
			request{"GET", "/api/rooms/lobby/history", url.Values{"before": {"01a2154fa91f0000000000000000"}, "limit": {"10"}}, nil}},
		{"history, a limit out of range is the server's to refuse", []string{"history", "lobby", "-limit=0"},
			request{"GET", "/api/rooms/lobby/history", url.Values{"limit": {"0"}}, nil}},
		{"disconnect everywhere", []string{"disconnect", "alice"},
			request{"POST", "/api/users/alice/disconnect", nil, map[string]any{}}},
		{"disconnect from a room with a reason", []string{"disconnect", "alice", "-room", "lobby", "-reason", "bye now"},
			request{"POST", "/api/users/alice/disconnect", nil, map[string]any{"room": "lobby", "reason": "bye now"}}},
		{"a user id with a space and a slash", []string{"disconnect", "bob smith/2"},
			request{"POST", "/api/users/bob%20smith%2F2/disconnect", nil, map[string]any{}}},
		{"a user id in UTF-8", []string{"disconnect", "zoë"},
			request{"POST", "/api/users/zo%C3%AB/disconnect", nil, map[string]any{}}},
		{"the OpenAPI document", []string{"openapi"},
			request{"GET", "/api/openapi.json", nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := parse(tt.args)
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.args, err)
			}
			if !reflect.DeepEqual(inv.req, tt.want) {
				t.Errorf("parse(%q)\n got %#v\nwant %#v", tt.args, inv.req, tt.want)
			}
			if inv.timeout != 10*time.Second || inv.addr != "" || inv.key != "" {
				t.Errorf("defaults: timeout %v addr %q key %q", inv.timeout, inv.addr, inv.key)
			}
		})
	}
}

func TestParseGlobalFlags(t *testing.T) {
	inv, err := parse([]string{"-addr", "127.0.0.1:9", "presence", "lobby", "-key=k", "-timeout", "2s"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.addr != "127.0.0.1:9" || inv.key != "k" || inv.timeout != 2*time.Second {
		t.Errorf("got addr %q key %q timeout %v", inv.addr, inv.key, inv.timeout)
	}
}

func TestParseUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the message
	}{
		{"nothing", nil, "no command"},
		{"unknown command", []string{"publsh", "lobby", "x"}, `unknown command "publsh"`},
		{"publish without text", []string{"publish", "lobby"}, "publish takes ROOM and TEXT, got 1"},
		{"publish with words", []string{"publish", "lobby", "hello", "world"}, "quote a TEXT of several words"},
		{"presence without room", []string{"presence"}, "presence takes ROOM, got 0"},
		{"presence with two rooms", []string{"presence", "a", "b"}, "got 2"},
		{"empty room", []string{"presence", ""}, "ROOM is empty"},
		{"empty user", []string{"disconnect", ""}, "USER is empty"},
		{"empty text", []string{"publish", "lobby", ""}, "publish needs a non-empty TEXT or -data"},
		{"empty text, empty data", []string{"publish", "lobby", "", "-data", ""}, "publish needs a non-empty TEXT or -data"},
		{"data not JSON", []string{"publish", "lobby", "hi", "-data", "{k:1}"}, "-data: not a JSON value"},
		{"data a bare word", []string{"send", "alice", "hi", "-data", "hello"}, "-data: not a JSON value"},
		{"data of two values", []string{"send", "alice", "hi", "-data", "1 2"}, "-data: not a JSON value"},
		{"send without text", []string{"send", "alice"}, "send takes USER and TEXT, got 1"},
		{"send with an empty user", []string{"send", "", "hi"}, "USER is empty"},
		{"send empty", []string{"send", "alice", ""}, "send needs a non-empty TEXT or -data"},
		{"send with -user", []string{"send", "alice", "hi", "-user", "bot"}, "send does not take -user"},
		{"unknown flag", []string{"presence", "lobby", "-x"}, "unknown flag -x"},
		{"a text starting with - needs --", []string{"publish", "lobby", "-1"}, `goes after "--"`},
		{"flag of another command", []string{"presence", "lobby", "-limit", "5"}, "presence does not take -limit"},
		{"user flag on disconnect", []string{"disconnect", "alice", "-user", "x"}, "disconnect does not take -user"},
		{"flag without value", []string{"history", "lobby", "-limit"}, "flag -limit needs a value"},
		{"limit not a number", []string{"history", "lobby", "-limit", "ten"}, `-limit "ten": not an integer`},
		{"bad timeout", []string{"presence", "lobby", "-timeout", "soon"}, "-timeout"},
		{"zero timeout", []string{"presence", "lobby", "-timeout", "0s"}, "-timeout must be positive"},
		{"openapi with an argument", []string{"openapi", "x"}, "openapi takes no argument, got 1"},
		{"too many users", []string{"disconnect", "a", "b"}, "disconnect takes USER, got 2 argument(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.args)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("parse(%q) = %v, want a usage error", tt.args, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse(%q) = %q, want it to contain %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestParseNeverEchoesAMistypedKey(t *testing.T) {
	_, err := parse([]string{"presence", "lobby", "-kye=0123456789abcdef-secret"})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("got %v", err)
	}
}

func TestParseHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"publish", "-h"}, {"history", "lobby", "-help"}} {
		if _, err := parse(args); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("parse(%q) = %v, want flag.ErrHelp", args, err)
		}
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8001", "http://127.0.0.1:8001"},
		{"localhost:8001", "http://localhost:8001"},
		{"[::1]:8001", "http://[::1]:8001"},
		{"http://127.0.0.1:8001", "http://127.0.0.1:8001"},
		{"http://127.0.0.1:8001/", "http://127.0.0.1:8001"},
		{"https://rt.internal", "https://rt.internal"},
		{"https://ops.internal/rt/", "https://ops.internal/rt"},
	}
	for _, tt := range tests {
		got, err := baseURL(tt.addr)
		if err != nil || got != tt.want {
			t.Errorf("baseURL(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
	for _, bad := range []string{"ftp://host:21", "http://", "http://user:pass@host:1", "http://host:1/?a=b", "http://host:1/#x", "ws://host:1", "http://host:port"} {
		if got, err := baseURL(bad); err == nil {
			t.Errorf("baseURL(%q) = %q, want an error", bad, got)
		} else if strings.Contains(err.Error(), "pass") {
			t.Errorf("baseURL(%q): the error echoes the address: %v", bad, err)
		}
	}
}
