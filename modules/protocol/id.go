package protocol

import "strconv"

// A chat message id is its position in the room's history: the time part
// (Unix milliseconds) and a sequence within that millisecond, as 12 and 16
// lowercase hex digits. Fixed width makes string order the same as
// position order, so clients can compare ids as plain strings; the Redis
// Stream id "<ms>-<seq>" maps onto it one to one.
const (
	IDLen    = 28
	idMSLen  = 12
	maxIDsMS = 1<<48 - 1 // 12 hex digits: Unix milliseconds until the year 10889
)

// FormatID returns the id of position (ms, seq). ms above 48 bits is
// clamped, which no clock reaches.
func FormatID(ms, seq uint64) string {
	var b [IDLen]byte
	putHex(b[:idMSLen], min(ms, maxIDsMS))
	putHex(b[idMSLen:], seq)
	return string(b[:])
}

// ParseID returns the position an id names; ok is false for anything that
// is not exactly IDLen lowercase hex digits.
func ParseID(id string) (ms, seq uint64, ok bool) {
	if len(id) != IDLen {
		return 0, 0, false
	}
	for i := range len(id) {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return 0, 0, false
		}
	}
	ms, _ = strconv.ParseUint(id[:idMSLen], 16, 64)
	seq, _ = strconv.ParseUint(id[idMSLen:], 16, 64)
	return ms, seq, true
}

// ValidID says whether id is a well-formed message id.
func ValidID(id string) bool {
	_, _, ok := ParseID(id)
	return ok
}

// putHex writes v into b as len(b) lowercase hex digits, zero-padded.
func putHex(b []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
}
