package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// upgradeHeaders are what a browser sends to open a WebSocket.
func upgradeHeaders() http.Header {
	return http.Header{
		"Connection":            {"Upgrade"},
		"Upgrade":               {"websocket"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
		"Origin":                {origin},
	}
}

func signWith(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHandshakeRejections(t *testing.T) {
	checkBadHandshakes(t, startNode(t, testConfig()))
}

// checkBadHandshakes runs every SPEC §3 refusal, and more, against n.
// oneWrite sends each request in a single write: a server that refuses
// oversized headers answers and closes after reading its limit, and a
// request written in several pieces could meet that close mid-write.
var oneWrite = &http.Client{Transport: &http.Transport{WriteBufferSize: 64 << 10}}

func checkBadHandshakes(t *testing.T, n *node) {
	t.Helper()
	now := time.Now().Unix()
	good := token(t, "u1")
	tests := []struct {
		name    string
		path    string
		headers func(h http.Header)
		status  int
		code    string
	}{
		{"not an upgrade", "/ws/test?token=" + good, func(h http.Header) { h.Del("Upgrade"); h.Del("Connection") }, 426, "upgrade_required"},
		{"room with a space", "/ws/a%20b?token=" + good, nil, 400, "bad_room"},
		{"room starting with dot", "/ws/.x?token=" + good, nil, 400, "bad_room"},
		{"room of 65 chars", "/ws/" + strings.Repeat("a", 65) + "?token=" + good, nil, 400, "bad_room"},
		{"room with encoded slash", "/ws/a%2Fb?token=" + good, nil, 400, "bad_room"},
		{"room with a slash", "/ws/a/b?token=" + good, nil, 400, "bad_room"},
		{"room dot dot", "/ws/..?token=" + good, nil, 400, "bad_room"},
		{"empty room", "/ws/?token=" + good, nil, 400, "bad_room"},
		{"no room, with since", "/ws?since=01a2154fa91f0000000000000000&token=" + good, nil, 400, "bad_since"},
		{"no room, origin missing", "/ws?token=" + good, func(h http.Header) { h.Del("Origin") }, 403, "origin_not_allowed"},
		{"no room, token missing", "/ws", nil, 401, "token_missing"},
		{"origin missing", "/ws/test?token=" + good, func(h http.Header) { h.Del("Origin") }, 403, "origin_not_allowed"},
		{"origin null", "/ws/test?token=" + good, func(h http.Header) { h.Set("Origin", "null") }, 403, "origin_not_allowed"},
		{"origin other host", "/ws/test?token=" + good, func(h http.Header) { h.Set("Origin", "http://evil.example") }, 403, "origin_not_allowed"},
		{"origin suffix trick", "/ws/test?token=" + good, func(h http.Header) { h.Set("Origin", "http://localhost:8000.evil.example") }, 403, "origin_not_allowed"},
		{"origin other port", "/ws/test?token=" + good, func(h http.Header) { h.Set("Origin", "http://localhost:8001") }, 403, "origin_not_allowed"},
		{"origin with path", "/ws/test?token=" + good, func(h http.Header) { h.Set("Origin", "http://localhost:8000/app") }, 403, "origin_not_allowed"},
		{"token missing", "/ws/test", nil, 401, "token_missing"},
		{"token empty", "/ws/test?token=", nil, 401, "token_missing"},
		{"two token parameters", "/ws/test?token=" + good + "&token=" + good, nil, 401, "token_invalid"},
		{"unicode room", "/ws/%C3%A9t%C3%A9?token=" + good, nil, 400, "bad_room"},
		{"no Sec-WebSocket-Key", "/ws/test?token=" + good, func(h http.Header) { h.Del("Sec-WebSocket-Key") }, 426, "bad_upgrade"},
		{"wrong WebSocket version", "/ws/test?token=" + good, func(h http.Header) { h.Set("Sec-WebSocket-Version", "8") }, 426, "bad_upgrade"},
		{"oversized headers", "/ws/test?token=" + good, func(h http.Header) { h.Set("X-Big", strings.Repeat("a", 9000)) }, 431, "headers_too_large"},
		{"token garbage", "/ws/test?token=abc.def.ghi", nil, 401, "token_invalid"},
		{"wrong secret", "/ws/test?token=" + signWith(t, jwt.SigningMethodHS256, []byte("other"), jwt.MapClaims{"sub": "u1"}), nil, 401, "token_invalid"},
		{"alg none", "/ws/test?token=" + signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "u1"}), nil, 401, "token_invalid"},
		{"other HMAC alg", "/ws/test?token=" + signWith(t, jwt.SigningMethodHS384, []byte(secret), jwt.MapClaims{"sub": "u1"}), nil, 401, "token_invalid"},
		{"sub missing", "/ws/test?token=" + token(t, ""), nil, 401, "token_invalid"},
		{"sub not a string", "/ws/test?token=" + signWith(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": 42}), nil, 401, "token_invalid"},
		{"nbf in the future", "/ws/test?token=" + token(t, "u1", jwt.MapClaims{"nbf": now + 3600}), nil, 401, "token_invalid"},
		{"iat in the future", "/ws/test?token=" + token(t, "u1", jwt.MapClaims{"iat": now + 3600}), nil, 401, "token_invalid"},
		{"expired", "/ws/test?token=" + token(t, "u1", jwt.MapClaims{"exp": now - 10}), nil, 401, "token_expired"},
		{"room not in the rooms claim", "/ws/test?token=" + token(t, "u1", jwt.MapClaims{"rooms": []string{"lobby", "team:*"}}), nil, 403, "room_forbidden"},
		{"rooms claim null", "/ws/test?token=" + claimsForge(claimsHeader, `{"sub":"u1","rooms":null}`), nil, 401, "token_invalid"},
		{"claim names are case-sensitive", "/ws/test?token=" + claimsForge(claimsHeader, `{"sub":"u1","rooms":["x"],"ROOMS":["*"]}`), nil, 403, "room_forbidden"},
		{"claim given twice", "/ws/test?token=" + claimsForge(claimsHeader, `{"sub":"u1","sub":"admin"}`), nil, 401, "token_invalid"},
		{"crit header", "/ws/test?token=" + claimsForge(`{"alg":"HS256","crit":["x"],"x":1}`, `{"sub":"u1"}`), nil, 401, "token_invalid"},
		{"exp a string", "/ws/test?token=" + claimsForge(claimsHeader, `{"sub":"u1","exp":"99999999999"}`), nil, 401, "token_invalid"},
		{"sub with control characters", "/ws/test?token=" + claimsForge(claimsHeader, `{"sub":"u1\u001b[2J"}`), nil, 401, "token_invalid"},
		{"bearer garbage", "/ws/test", func(h http.Header) { h.Set("Authorization", "Bearer abc") }, 401, "token_invalid"},
		{"basic auth is not a token", "/ws/test", func(h http.Header) { h.Set("Authorization", "Basic dTE6cA==") }, 401, "token_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+n.addr+tt.path, nil)
			req.Header = upgradeHeaders()
			if tt.headers != nil {
				tt.headers(req.Header)
			}
			resp, err := oneWrite.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %s)", resp.StatusCode, tt.status, body)
			}
			var got struct{ Error string }
			if tt.code == "" { // refused by the HTTP layer before any route runs
				return
			}
			if err := json.Unmarshal(body, &got); err != nil || got.Error != tt.code {
				t.Fatalf("body %s, want {\"error\":%q}", body, tt.code)
			}
			if tok := req.URL.Query().Get("token"); len(tok) > 10 && contains(body, tok) {
				t.Fatal("token echoed in the response")
			}
		})
	}
}

func TestHandshakeAccepts(t *testing.T) {
	n := startNode(t, testConfig())
	t.Run("query token", func(t *testing.T) {
		c := dial(t, n, "test", "u1")
		c.expect("presence.join")
	})
	t.Run("bearer header and an origin that normalises", func(t *testing.T) {
		h := http.Header{"Origin": {"HTTP://LOCALHOST:8000/"}, "Authorization": {"Bearer " + token(t, "u2")}}
		c := dialWith(t, n.wsURL("test:room-1.a_b"), h)
		if f := c.expect("presence.join"); f.str("user") != "u2" {
			t.Fatalf("join for %v", f)
		}
	})
	t.Run("room matching a prefix in the rooms claim", func(t *testing.T) {
		url := n.wsURL("team:red") + "?token=" + token(t, "u4", jwt.MapClaims{"rooms": []string{"lobby", "team:*"}})
		dialWith(t, url, http.Header{"Origin": {origin}}).expect("presence.join")
	})
	t.Run("room of 64 chars and extra claims", func(t *testing.T) {
		url := n.wsURL(strings.Repeat("r", 64)) + "?token=" + token(t, "u3", jwt.MapClaims{"role": "admin", "exp": time.Now().Add(time.Hour).Unix()})
		dialWith(t, url, http.Header{"Origin": {origin}}).expect("presence.join")
	})
}
