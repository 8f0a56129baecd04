package auth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
)

const allowedOrigin = "https://app.example.com"

// handshakeApp mounts Check as rt/modules/ws does (on /ws/*, so any path
// below /ws/ is a room name) with rt/modules/server's error shape; a request
// that passes gets 200 and the Locals it would hand on.
func handshakeApp() *fiber.App {
	cfg := config.Config{JWTSecret: secret, JWTAlg: "HS256", AllowedOrigins: []string{allowedOrigin}}
	h := NewHandshake(mustJWT(cfg), NewOrigins(cfg))
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return c.Status(fe.Code).JSON(fiber.Map{"error": fe.Message})
		}
		return c.Status(fiber.StatusInternalServerError).JSON(fiber.Map{"error": "internal"})
	}})
	app.Get("/ws/*", h.Check, func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"user": c.Locals(LocalUser), "room": c.Locals(LocalRoom)})
	})
	return app
}

type hsReq struct {
	room    string
	upgrade bool
	origin  string // "-" for no Origin header
	query   string // ?token= value; "" for none, "<empty>" for ?token=
	bearer  string // Authorization header value; "" for none
}

func TestHandshakeCheck(t *testing.T) {
	valid := hs256(t, jwt.MapClaims{"sub": "u1", "exp": at(time.Hour)})
	valid2 := hs256(t, jwt.MapClaims{"sub": "u2"})
	expired := hs256(t, jwt.MapClaims{"sub": "u1", "exp": at(-time.Hour)})
	forged := sign(t, jwt.SigningMethodHS256, []byte("not-the-secret"), jwt.MapClaims{"sub": "u1"})
	long := strings.Repeat("r", 64)
	tests := []struct {
		name   string
		req    hsReq
		status int
		want   string // error code, or the user on 200
	}{
		{"accepted", hsReq{"lobby", true, allowedOrigin, valid, ""}, 200, "u1"},
		{"room of 64 chars, normalised origin", hsReq{long, true, "HTTPS://app.example.com:443/", valid, ""}, 200, "u1"},
		{"room with . _ : -", hsReq{"a.b_c:d-e", true, allowedOrigin, valid, ""}, 200, "u1"},
		{"not an upgrade, all else wrong too", hsReq{"-bad", false, "null", "", ""}, 426, "upgrade_required"},
		{"not an upgrade", hsReq{"lobby", false, allowedOrigin, valid, ""}, 426, "upgrade_required"},
		{"bad room and bad origin", hsReq{"-bad", true, "https://evil.io", "", ""}, 400, "bad_room"},
		{"room of 65 chars", hsReq{long + "r", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"room with space", hsReq{"a%20b", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"room with a slash", hsReq{"a/b", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"room with a trailing slash", hsReq{"lobby/", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"room with two trailing slashes", hsReq{"lobby//", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"room after a doubled slash", hsReq{"/lobby", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"empty room", hsReq{"", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"room starting with dot", hsReq{".hidden", true, allowedOrigin, valid, ""}, 400, "bad_room"},
		{"bad origin and no token", hsReq{"lobby", true, "https://evil.io", "", ""}, 403, "origin_not_allowed"},
		{"bad origin, valid token", hsReq{"lobby", true, "https://app.example.com.evil.io", valid, ""}, 403, "origin_not_allowed"},
		{"missing origin", hsReq{"lobby", true, "-", valid, ""}, 403, "origin_not_allowed"},
		{"null origin", hsReq{"lobby", true, "null", valid, ""}, 403, "origin_not_allowed"},
		{"origin with path", hsReq{"lobby", true, allowedOrigin + "/x", valid, ""}, 403, "origin_not_allowed"},
		{"no token", hsReq{"lobby", true, allowedOrigin, "", ""}, 401, "token_missing"},
		{"empty token", hsReq{"lobby", true, allowedOrigin, "<empty>", ""}, 401, "token_missing"},
		{"empty bearer", hsReq{"lobby", true, allowedOrigin, "", "Bearer "}, 401, "token_missing"},
		{"basic auth is no token", hsReq{"lobby", true, allowedOrigin, "", "Basic " + valid}, 401, "token_missing"},
		{"forged token", hsReq{"lobby", true, allowedOrigin, forged, ""}, 401, "token_invalid"},
		{"expired token", hsReq{"lobby", true, allowedOrigin, expired, ""}, 401, "token_expired"},
		{"bearer only", hsReq{"lobby", true, allowedOrigin, "", "Bearer " + valid2}, 200, "u2"},
		{"bearer scheme in lower case", hsReq{"lobby", true, allowedOrigin, "", "bearer " + valid2}, 200, "u2"},
		{"bearer expired", hsReq{"lobby", true, allowedOrigin, "", "Bearer " + expired}, 401, "token_expired"},
		{"query wins over bearer", hsReq{"lobby", true, allowedOrigin, valid, "Bearer " + valid2}, 200, "u1"},
		{"query wins even when invalid", hsReq{"lobby", true, allowedOrigin, forged, "Bearer " + valid2}, 401, "token_invalid"},
		{"valid query, bad bearer", hsReq{"lobby", true, allowedOrigin, valid, "Bearer junk"}, 200, "u1"},
	}
	app := handshakeApp()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, app, tt.req)
			if status != tt.status {
				t.Fatalf("status %d (%s), want %d", status, body, tt.status)
			}
			for _, tok := range []string{tt.req.query, tt.req.bearer} {
				if len(tok) > 10 && strings.Contains(body, strings.TrimPrefix(tok, "Bearer ")) {
					t.Errorf("response echoes the token: %s", body)
				}
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("body %q is not a JSON object of strings: %v", body, err)
			}
			if status != 200 {
				if len(got) != 1 || got["error"] != tt.want {
					t.Errorf("body %s, want {\"error\":%q}", body, tt.want)
				}
				return
			}
			if got["user"] != tt.want || got["room"] != tt.req.room {
				t.Errorf("locals %v, want user %q room %q", got, tt.want, tt.req.room)
			}
		})
	}
}

func do(t *testing.T, app *fiber.App, r hsReq) (int, string) {
	t.Helper()
	target := "/ws/" + r.room
	switch r.query {
	case "":
	case "<empty>":
		target += "?token="
	default:
		target += "?token=" + r.query
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if r.upgrade {
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	}
	if r.origin != "-" {
		req.Header.Set("Origin", r.origin)
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", r.bearer)
	}
	resp, err := app.Test(req, 10_000)
	if err != nil {
		t.Fatalf("app.Test: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// A query that names token or since twice is refused whatever the values,
// and a single since is read as written.
func TestHandshakeRepeatedParameters(t *testing.T) {
	app := handshakeApp()
	tok := hs256(t, jwt.MapClaims{"sub": "u1"})
	const id = "01a2154fa91f0000000000000000"
	for _, tt := range []struct {
		query  string
		status int
	}{
		{"token=" + tok, 200},
		{"token=" + tok + "&token=" + tok, 401},
		{"token=" + tok + "&token=", 401},
		{"token=" + tok + "&since=" + id, 200},
		{"token=" + tok + "&since=", 200},
		{"token=" + tok + "&since=" + id + "&since=" + id, 400},
		{"token=" + tok + "&since=&since=", 400},
		{"token=" + tok + "&since=x", 400},
	} {
		req := httptest.NewRequest(http.MethodGet, "/ws/lobby?"+tt.query, nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Origin", allowedOrigin)
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("?%s: %d, want %d", strings.Replace(tt.query, tok, "<token>", -1), resp.StatusCode, tt.status)
		}
	}
}
