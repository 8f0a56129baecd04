package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries every request's signature (SPEC §11):
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> keyed with
// HOOK_SECRET. The time is inside the MAC, so a backend that refuses old
// values of t also refuses replays.
const SignatureHeader = "X-RT-Signature"

// HookHeader names the hook a request is for (connect, publish, webhook),
// so one URL can serve them all.
const HookHeader = "X-RT-Hook"

// Sign is the SignatureHeader value for body sent at unix second t.
func Sign(secret []byte, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Why Verify refuses a request.
var (
	ErrBadSignature = errors.New("hooks: signature does not match")
	ErrStale        = errors.New("hooks: signature time outside the tolerance")
	ErrNoSignature  = errors.New("hooks: no well-formed " + SignatureHeader)
)

// Verify checks a SignatureHeader value against body, as a backend does:
// the MAC must match and t must be within tolerance of now. Go backends may
// import it; the docs show the same check written out.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, v1 string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	got, herr := hex.DecodeString(v1)
	if err != nil || herr != nil || len(got) != sha256.Size {
		return ErrNoSignature
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
