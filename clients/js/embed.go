// Package js embeds rt's JavaScript client, rt.js, and its types, rt.d.ts,
// so that rt serves them itself (modules/clientjs: /client.js): a page loads
// the client from the server it talks to, always the version that server
// speaks, with no package manager and no build step.
package js

import (
	"crypto/sha256"
	_ "embed" // for go:embed
	"encoding/hex"
)

// Source is rt.js, the client: an ES module.
//
//go:embed rt.js
var Source []byte

// Types is rt.d.ts, the client's TypeScript declarations.
//
//go:embed rt.d.ts
var Types []byte

// Version names this build of the client: the first 12 hex digits of the
// SHA-256 of Source. It changes whenever rt.js does, so a URL that holds it
// can be cached for good.
var Version = version(Source)

func version(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])[:12]
}
