package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/rtserver/rt/config"
)

// loadToken is the token cmd/load's clients send: sub and iat, HS256.
func loadToken(tb testing.TB) string {
	return hs256(tb, jwt.MapClaims{"sub": "conn.abc12.00042", "iat": time.Now().Unix()})
}

// BenchmarkVerify is one handshake's token check: the token cmd/load
// sends, and one with exp and a rooms claim.
func BenchmarkVerify(b *testing.B) {
	v := verifier("HS256")
	for _, tc := range []struct {
		name string
		tok  string
	}{
		{"sub+iat", loadToken(b)},
		{"sub+exp+rooms", hs256(b, jwt.MapClaims{"sub": "u1", "exp": at(time.Hour), "rooms": []string{"lobby", "team.*"}})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tc.tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandshakeCheck is Check on an upgrade request as cmd/load's
// clients send it, through Fiber's routing and context as in the server,
// with a handler after it that does nothing.
func BenchmarkHandshakeCheck(b *testing.B) {
	cfg := config.Config{JWTSecret: secret, JWTAlg: "HS256", AllowedOrigins: []string{allowedOrigin}}
	h := NewHandshake(mustJWT(cfg), NewOrigins(cfg))
	app := fiber.New()
	app.Get("/ws/*", h.Check, func(*fiber.Ctx) error { return nil })
	handler := app.Handler()
	tok := loadToken(b)
	var req fasthttp.Request
	req.Header.SetMethod(fasthttp.MethodGet)
	req.SetRequestURI("/ws/conn.abc12.room-00042?token=" + tok)
	req.Header.Set("Host", "127.0.0.1:8000")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Origin", allowedOrigin)
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		req.CopyTo(&ctx.Request)
		ctx.Response.Reset()
		handler(&ctx)
		if code := ctx.Response.StatusCode(); code != fiber.StatusOK {
			b.Fatal(errors.New(string(ctx.Response.Body())))
		}
	}
}
