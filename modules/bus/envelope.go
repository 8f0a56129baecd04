package bus

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
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

// decodeEnvelope returns the Message that payload carries for room. Frame
// shares payload's memory. Only canonical payloads are accepted, so each
// Message has exactly one encoding.
func decodeEnvelope(room string, payload []byte) (Message, error) {
	header, frame, ok := bytes.Cut(payload, []byte{'\n'})
	if !ok {
		return Message{}, errNoHeader
	}
	at, id, ok := bytes.Cut(header, []byte{' '})
	if !ok {
		return Message{}, errNoIDSep
	}
	n, err := parseAt(at)
	if err != nil {
		return Message{}, err
	}
	return Message{Room: room, ID: string(id), At: n, Frame: frame}, nil
}

// parseAt reads a canonical non-negative decimal. strconv alone would also
// take a sign and leading zeros, which encodeEnvelope never writes.
func parseAt(b []byte) (int64, error) {
	if len(b) == 0 || (len(b) > 1 && b[0] == '0') {
		return 0, errBadAt
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errBadAt
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil { // out of range
		return 0, errBadAt
	}
	return n, nil
}
