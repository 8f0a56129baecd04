package ws

import (
	"encoding/binary"
	"unicode/utf8"

	fws "github.com/fasthttp/websocket"

	"github.com/rtserver/rt/modules/protocol"
)

// frameError is a client frame that breaks the rules: the connection fails
// with code (1002, 1007 or 1009) and text as the close reason.
type frameError struct {
	code int
	text string
}

func (e *frameError) Error() string { return "websocket: " + e.text }

func protocolError(text string) *frameError {
	return &frameError{code: fws.CloseProtocolError, text: text}
}

// The rules a client's frames may break, each with the close it gets.
var (
	errReservedBits      = protocolError("reserved bits set")
	errBadOpcode         = protocolError("reserved opcode")
	errUnmasked          = protocolError("frame not masked")
	errFragmentedControl = protocolError("fragmented control frame")
	errLongControl       = protocolError("control frame too long")
	errBadLength         = protocolError("bad payload length")
	errNoMessage         = protocolError("continuation without a message")
	errInterleaved       = protocolError("new message inside a fragmented one")
	errTooManyFragments  = protocolError("too many fragments")
	errFragmentTooSmall  = protocolError("fragment too small")
	errCloseTruncated    = protocolError("close payload of one byte")
	errCloseCode         = protocolError("invalid close code")
	errCloseReason       = &frameError{code: protocol.CloseInvalidPayload, text: "close reason is not valid UTF-8"}
	errTooLarge          = &frameError{code: protocol.CloseTooLarge, text: "message too large"}
)

// checkHeader checks the first two header bytes: no extension is
// negotiated, so the RSV bits must be 0; clients must mask (§5.3); control
// frames are short and never fragmented (§5.5).
func checkHeader(b0, b1 byte) error {
	op := b0 & 0x0F
	switch {
	case b0&0x70 != 0:
		return errReservedBits
	case op > opBinary && op < opClose || op > opPong:
		return errBadOpcode
	case b1&0x80 == 0:
		return errUnmasked
	case isControl(op) && b0&0x80 == 0:
		return errFragmentedControl
	case isControl(op) && b1&0x7F > maxControlBytes:
		return errLongControl
	}
	return nil
}

func isControl(op byte) bool { return op >= opClose }

// admit applies the message rules to a data frame: a continuation only
// inside a fragmented message and nothing else there (§5.4), the fragment
// rules, and the size limit on the whole message.
func (r *frameReader) admit(op byte, fin bool, n int) error {
	switch {
	case op == opContinuation && r.op == 0:
		return errNoMessage
	case op != opContinuation && r.op != 0:
		return errInterleaved
	case op != opContinuation: // a new message
		r.op, r.size, r.fragments, r.dropped = op, 0, 0, false
		r.msg = r.msg[:0]
	}
	r.fragments++
	if err := fragmentRule(r.fragments, fin, n); err != nil {
		return err
	}
	if n > r.limit-r.size {
		return errTooLarge
	}
	r.size += n
	return nil
}

// fragmentRule is the limit on fragmented messages: at most maxFragments
// frames, and after the first freeFragments every frame but the last
// carries at least minFragmentBytes. With every frame charged to the rate
// limit, a message then costs its sender about as much as it costs the
// server.
func fragmentRule(index int, fin bool, n int) error {
	switch {
	case index > maxFragments:
		return errTooManyFragments
	case !fin && index > freeFragments && n < minFragmentBytes:
		return errFragmentTooSmall
	}
	return nil
}

// closeStatus reads a close frame's payload (§5.5.1, §7.4): nothing (1005,
// no status), or a code a peer may send followed by a UTF-8 reason.
func closeStatus(p []byte) (int, error) {
	switch len(p) {
	case 0:
		return fws.CloseNoStatusReceived, nil
	case 1:
		return 0, errCloseTruncated
	}
	code := int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return 0, errCloseCode
	}
	if !utf8.Valid(p[2:]) {
		return 0, errCloseReason
	}
	return code, nil
}

// validCloseCode: the codes defined for a peer to send (the same set the
// library accepted) and the registered and private ranges 3000–4999.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1013:
		return true
	}
	return code >= 3000 && code <= 4999
}

// unmask undoes the client's masking (§5.3) in place, eight bytes at a time.
func unmask(key [4]byte, p []byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}
