package hooks

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rtserver/rt/modules/protocol"
)

// The codes of a Refusal, as the client gets them.
const (
	CodeDenied   = string(protocol.CodeHookDenied) // the connect hook refused a handshake or a room.join
	CodeRejected = string(protocol.CodeRejected)   // the publish hook refused a message
)

// Refusal is the backend's no: Code is CodeDenied or CodeRejected, Reason
// the backend's reason, made safe to show (Sanitize), "" when it gave none.
type Refusal struct {
	Code   string
	Reason string
}

func (r *Refusal) Error() string {
	if r.Reason == "" {
		return "hooks: " + r.Code
	}
	return "hooks: " + r.Code + ": " + r.Reason
}

// ErrUnavailable is a hook that could not answer (timeout, non-2xx, an
// answer that is not the JSON expected, no connection) while
// HOOK_FAIL_OPEN is false: the error wraps it and the cause. The client is
// told to try again.
var ErrUnavailable = errors.New("hooks: the application's backend did not answer the hook")

// MaxReasonBytes bounds a reason passed on to a client: it goes into a
// system.error or a handshake's JSON body, never a place for an essay.
const MaxReasonBytes = 200

// Sanitize makes a backend's reason fit to pass on: every character that
// is not printable (controls, line breaks, invisible formatting) becomes a
// space, spaces at either end go, and it is cut to MaxReasonBytes on a
// character boundary. The answer parser already refused invalid UTF-8.
func Sanitize(reason string) string {
	clean := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, reason)
	clean = strings.TrimSpace(clean)
	if len(clean) <= MaxReasonBytes {
		return clean
	}
	cut := MaxReasonBytes
	for cut > 0 && !utf8.RuneStart(clean[cut]) {
		cut--
	}
	return strings.TrimSpace(clean[:cut])
}
