package protocol

// maxRoomBytes is the longest room name. SPEC §3's rule for a room name is
// 1 to 64 characters, letters, digits, '.', '_', ':' and '-', not starting
// with punctuation, i.e. ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$. Redis keys
// and channels are built from room names and rely on it.
const maxRoomBytes = 64

// roomByte marks the bytes a room name may hold: 1 for letters and digits,
// which may also start it, 2 for the punctuation that may not.
var roomByte = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = 1
		case c == '.', c == '_', c == ':', c == '-':
			t[c] = 2
		}
	}
	return t
}()

// ValidRoom reports whether name is a valid room name. Every handshake and
// join checks a name at least twice, so this is a table lookup per byte
// rather than a regular expression, whose matcher also needs a stack deep
// enough to make a fresh goroutine's grow (room_test.go holds the two
// equal).
func ValidRoom(name string) bool {
	if len(name) == 0 || len(name) > maxRoomBytes || roomByte[name[0]] != 1 {
		return false
	}
	for i := 1; i < len(name); i++ {
		if roomByte[name[i]] == 0 {
			return false
		}
	}
	return true
}
