package protocol

import "regexp"

// roomName is SPEC §3's rule for a room name: 1 to 64 characters, letters,
// digits, '.', '_', ':' and '-', not starting with punctuation. Redis keys
// and channels are built from room names and rely on it.
var roomName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// ValidRoom reports whether name is a valid room name.
func ValidRoom(name string) bool { return roomName.MatchString(name) }
