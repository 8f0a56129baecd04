package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// claimsHeader is the header jwt writes for HS256.
const claimsHeader = `{"alg":"HS256","typ":"JWT"}`

// claimsForge HMAC-signs header and payload exactly as written, so a test
// can send JSON no encoder would produce.
func claimsForge(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(header)) + "." + enc([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return signed + "." + enc(mac.Sum(nil))
}

// TestClaimsStrictAtHandshake: a correctly signed token whose claims are
// ambiguous or unsafe is refused with 401 token_invalid, never upgraded and
// never mistaken for a token that merely lacks the room (403).
func TestClaimsStrictAtHandshake(t *testing.T) {
	n := startNode(t, testConfig())
	exp := time.Now().Add(time.Hour).Unix()
	t.Run("hand-signed control", func(t *testing.T) {
		tok := claimsForge(claimsHeader, fmt.Sprintf(`{"sub":"u1","exp":%d,"rooms":["lobby"]}`, exp))
		dialWith(t, n.wsURL("lobby")+"?token="+tok, http.Header{"Origin": {origin}}).expect("presence.join")
	})
	tests := []struct{ name, header, payload string }{
		{"rooms null", claimsHeader, `{"sub":"u1","rooms":null}`},
		{"rooms [null]", claimsHeader, `{"sub":"u1","rooms":[null]}`},
		{"SUB in capitals", claimsHeader, `{"SUB":"admin"}`},
		{"sub twice", claimsHeader, `{"sub":"u1","sub":"admin"}`},
		{"rooms twice", claimsHeader, `{"sub":"u1","rooms":["other"],"rooms":["*"]}`},
		{"alg twice", `{"alg":"none","alg":"HS256"}`, `{"sub":"u1"}`},
		{"crit header", `{"alg":"HS256","crit":["exp"],"exp":1}`, `{"sub":"u1"}`},
		{"exp a numeric string", claimsHeader, fmt.Sprintf(`{"sub":"u1","exp":"%d"}`, exp)},
		{"sub with ESC", claimsHeader, `{"sub":"u1\u001b[2J"}`},
		{"sub with a newline", claimsHeader, `{"sub":"u1\nlevel=ERROR"}`},
		{"sub with invalid UTF-8", claimsHeader, `{"sub":"u1` + "\xff" + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claimsExpectRefused(t, n.wsURL("lobby")+"?token="+claimsForge(tt.header, tt.payload))
		})
	}
}

// claimsExpectRefused dials url and wants exactly 401 {"error":"token_invalid"}.
func claimsExpectRefused(t *testing.T, url string) {
	t.Helper()
	conn, resp, err := dialRaw(url, http.Header{"Origin": {origin}})
	if err == nil {
		conn.Close()
		t.Fatal("upgraded (101), want 401 token_invalid")
	}
	if resp == nil {
		t.Fatalf("no HTTP response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	var got map[string]string
	if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal(body, &got) != nil ||
		len(got) != 1 || got["error"] != "token_invalid" {
		t.Fatalf("status %d body %s, want 401 {\"error\":\"token_invalid\"}", resp.StatusCode, body)
	}
}

// TestClaimsStrictAtRefresh: auth.refresh verifies with the same rules, so
// a token naming the same user but with a duplicated sub or a null rooms
// claim changes nothing. (Four refreshes: one more than the refresh burst,
// so the control waits for a token to come back.)
func TestClaimsStrictAtRefresh(t *testing.T) {
	n := startNode(t, testConfig())
	c := dial(t, n, "lobby", "u1")
	c.ready()
	exp := time.Now().Add(time.Hour).Unix()
	for _, payload := range []string{
		fmt.Sprintf(`{"sub":"u1","sub":"u1","exp":%d}`, exp),
		fmt.Sprintf(`{"sub":"u1","rooms":null,"exp":%d}`, exp),
		fmt.Sprintf(`{"sub":"u1","exp":"%d"}`, exp),
	} {
		c.send(map[string]string{"type": "auth.refresh", "token": claimsForge(claimsHeader, payload)})
		if f := c.expect("system.error"); f.str("code") != "token_invalid" {
			t.Fatalf("refresh with %s: %v, want token_invalid", payload, f)
		}
	}
	time.Sleep(time.Second)
	c.send(map[string]string{"type": "auth.refresh", "token": claimsForge(claimsHeader, fmt.Sprintf(`{"sub":"u1","exp":%d}`, exp))})
	if f := c.expect("auth.refreshed"); int64(f["exp"].(float64)) != exp*1000 {
		t.Fatalf("control refresh: %v", f)
	}
}
