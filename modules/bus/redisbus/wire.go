package bus

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// The Redis bus publishes a Message as one payload on its room's channel,
// so the receiving node gets ID and At back without parsing the frame:
//
//	<At> <ID>\n<Frame>
//
// At is Unix milliseconds in canonical decimal (digits only, no sign, no
// leading zero); ID runs from the first space to the first newline and may
// be empty; Frame is every byte after that newline, as is. The room is not
// repeated: it is the channel's name.

// Why a payload or a Message does not fit the envelope. The texts never
// quote the payload: it may come from anything that can PUBLISH.
var (
	errNoHeader   = errors.New("bus: envelope: no header line")
	errNoIDSep    = errors.New("bus: envelope: no space between At and ID")
	errBadAt      = errors.New("bus: envelope: At is not a canonical non-negative decimal")
	errNegativeAt = errors.New("bus: message At is negative")
	errNewlineID  = errors.New("bus: message ID contains a newline")
)

// checkEnvelope reports why m cannot be carried by the envelope: its
// header would not decode to the same At and ID.
func checkEnvelope(m Message) error {
	if m.At < 0 {
		return errNegativeAt
	}
	if strings.IndexByte(m.ID, '\n') >= 0 {
		return errNewlineID
	}
	return nil
}

// encodeEnvelope returns m's payload; m must pass checkEnvelope.
func encodeEnvelope(m Message) []byte {
	// 20 digits hold any int64, plus the space and the newline.
	b := make([]byte, 0, 22+len(m.ID)+len(m.Frame))
	b = strconv.AppendInt(b, m.At, 10)
	b = append(b, ' ')
	b = append(b, m.ID...)
	b = append(b, '\n')
	return append(b, m.Frame...)
}

// decodeEnvelope returns the Message that payload carries for room. ID
// and Frame share payload's memory rather than copying it: a received
// message is read-only (Bus), and rueidis allocates each payload for its
// one message. Only canonical payloads are accepted, so each Message has
// exactly one encoding.
func decodeEnvelope(room, payload string) (Message, error) {
	header, frame, ok := strings.Cut(payload, "\n")
	if !ok {
		return Message{}, errNoHeader
	}
	at, id, ok := strings.Cut(header, " ")
	if !ok {
		return Message{}, errNoIDSep
	}
	n, err := parseAt(at)
	if err != nil {
		return Message{}, err
	}
	return Message{Room: room, ID: id, At: n, Frame: readOnlyBytes(frame)}, nil
}

// readOnlyBytes returns s's bytes without copying them; they must never be
// written.
func readOnlyBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// parseAt reads a canonical non-negative decimal: digits only, no sign, no
// leading zero, at most math.MaxInt64. strconv would also take a sign and
// leading zeros, which encodeEnvelope never writes.
func parseAt(s string) (int64, error) {
	// 19 digits hold any int64 and cannot overflow a uint64.
	if len(s) == 0 || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, errBadAt
	}
	var n uint64
	for i := range len(s) {
		d := s[i] - '0'
		if d > 9 {
			return 0, errBadAt
		}
		n = n*10 + uint64(d)
	}
	if n > math.MaxInt64 {
		return 0, errBadAt
	}
	return int64(n), nil
}
