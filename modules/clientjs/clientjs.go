// Package clientjs serves rt's JavaScript client (clients/js) from rt
// itself, so a page imports it from the server it talks to:
//
//	import { Client } from "https://rt.example.com/client.js";
//
// /client.js is always the current build, revalidated on every use (ETag,
// no-cache, 304); /client-<version>.js names one build and may be cached
// for a year; /client.d.ts holds its TypeScript declarations. Every answer
// allows any origin, since a module script from another origin loads in
// CORS mode. It is served whether DEMO_PAGE is on or off.
package clientjs

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	js "github.com/rtserver/rt/clients/js"
	"github.com/rtserver/rt/modules/server"
)

// Module serves the client at /client.js, /client-<version>.js and /client.d.ts.
var Module = fx.Module("clientjs", fx.Provide(server.AsRoute(newFiles)))

// Cache-Control of the paths: the unversioned ones are checked with the
// server on every use, so a new rt's client is picked up at once; a
// versioned one never changes.
const (
	revalidate = "no-cache"
	immutable  = "public, max-age=31536000, immutable"
)

// file is one served body with its headers.
type file struct {
	path, ctype, etag, cache string
	body                     []byte
}

// Files is the client's route.
type Files struct{ files []file }

func newFiles() *Files {
	const jsType = "text/javascript; charset=utf-8"
	clientTag := `"` + js.Version + `"`
	return &Files{files: []file{
		{"/client.js", jsType, clientTag, revalidate, js.Source},
		{"/client-" + js.Version + ".js", jsType, clientTag, immutable, js.Source},
		// TypeScript has no registered media type; this is the one Deno
		// and TypeScript tooling recognise.
		{"/client.d.ts", "application/typescript; charset=utf-8", etag(js.Types), revalidate, js.Types},
	}}
}

// etag is a strong entity tag of body: 12 hex digits of its SHA-256, like js.Version.
func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:])[:12] + `"`
}

// Register mounts the files (GET, and HEAD with it); any other version of
// /client-<version>.js is left to the server's 404.
func (f *Files) Register(app *fiber.App) {
	for _, fl := range f.files {
		app.Get(fl.path, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
			c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
			c.Set(fiber.HeaderCacheControl, fl.cache)
			c.Set(fiber.HeaderETag, fl.etag)
			if matches(c.Get(fiber.HeaderIfNoneMatch), fl.etag) {
				return c.SendStatus(fiber.StatusNotModified)
			}
			c.Set(fiber.HeaderContentType, fl.ctype)
			return c.Send(fl.body)
		})
	}
}

// matches reports whether an If-None-Match header names tag: "*", or a
// list of tags compared weakly (a W/ prefix is ignored), as RFC 9110 says
// for If-None-Match.
func matches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
