package protocol

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxUserBytes bounds a user id, which ends up in Redis keys, presence
// lists, log lines and every chat.delivery.
const MaxUserBytes = 256

// ValidUser reports whether id can be a user id: 1 to MaxUserBytes bytes
// of UTF-8 without control characters (Unicode Cc), so it cannot forge a
// log line, a terminal sequence or a key. A token's sub and a sender named
// by the server API both follow it.
func ValidUser(id string) bool {
	return id != "" && len(id) <= MaxUserBytes && utf8.ValidString(id) && !strings.ContainsFunc(id, isCc)
}

// isCc reports Unicode category Cc: C0 (NUL, ESC, newline...), DEL and C1.
func isCc(r rune) bool { return unicode.Is(unicode.Cc, r) }
