package ws

import (
	"bufio"
	"encoding/binary"
	"io"
	"slices"
	"unicode/utf8"

	fws "github.com/fasthttp/websocket"

	"github.com/rtserver/rt/modules/protocol"
)

// Client frames are read here and not by the library: its reader assembles
// a fragmented message (RFC 6455 §5.4) inside one call, so the server never
// saw, let alone charged, a single frame, and a message of millions of
// empty continuation frames cost its sender nothing. Here every frame is
// handed to the read loop, which charges it to the rate limit, and a
// fragmented message must keep to the rules below.
const (
	// maxFragments is the most frames one message may be split into.
	maxFragments = 64
	// freeFragments is how many frames a message may start with whatever
	// their size: clients and proxies may flush a few small pieces.
	freeFragments = 4
	// minFragmentBytes is the least a later fragment that is not the last
	// must carry, so a message cannot be spread thin.
	minFragmentBytes = 64
	// maxControlBytes is the longest payload of a control frame (§5.5).
	maxControlBytes = 125
	// keepMessageBytes is the largest message buffer a connection keeps
	// between messages; a larger one, grown for one big message, is freed.
	keepMessageBytes = 4 << 10
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
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

// frameReader reads one client's frames from the socket. Only the
// connection's reader goroutine uses it.
type frameReader struct {
	src   *bufio.Reader
	limit int // MAX_FRAME_BYTES: the most one message may carry

	key  [4]byte               // the current frame's masking key
	ext  [8]byte               // the current frame's extended length
	ctrl [maxControlBytes]byte // the current control frame's payload

	// The message being assembled. op is opText or opBinary while one is
	// open and 0 between messages; size and fragments count what it has
	// had so far, also when it is dropped.
	op        byte
	size      int
	fragments int
	msg       []byte
	dropped   bool // its frames are read and thrown away (reset by the next message)
	skipping  bool // the connection is closing: every payload is thrown away
}

func newFrameReader(r io.Reader, limit int) *frameReader {
	return &frameReader{src: bufio.NewReaderSize(r, readBufferBytes), limit: limit}
}

// frame is one frame read. payload (a control frame's) and message are
// valid until the next read.
type frame struct {
	op      byte // the frame's opcode
	size    int  // its payload length
	payload []byte
	// message is set when this frame ended a message that was not
	// dropped, whose opcode is msgOp; done tells an empty message from none.
	message []byte
	msgOp   byte
	done    bool
	code    int // a close frame's status code (1005 for none)
}

// next reads one frame.
func (r *frameReader) next() (frame, error) {
	r.release()
	op, fin, n, err := r.readHeader()
	if err != nil {
		return frame{}, err
	}
	if isControl(op) {
		return r.readControl(op, n)
	}
	return r.readData(op, fin, n)
}

// drop drops the message the last data frame belongs to: its frames still
// to come are read and thrown away. It reports whether the message was not
// dropped before, so the client is told once per message.
func (r *frameReader) drop() bool {
	first := !r.dropped
	r.dropped = true
	r.msg = r.msg[:0]
	return first
}

// skip throws every payload away from now on, for a closing connection.
func (r *frameReader) skip() {
	r.skipping, r.msg = true, nil
}

// release frees a buffer grown for a big message once that message has
// been handled, so an idle connection does not hold it.
func (r *frameReader) release() {
	if r.op == 0 && cap(r.msg) > keepMessageBytes {
		r.msg = nil
	}
}

// readHeader reads a frame's header up to its payload and checks the rules
// that need no more than the header.
func (r *frameReader) readHeader() (op byte, fin bool, n int, err error) {
	b0, err := r.src.ReadByte()
	if err != nil {
		return 0, false, 0, err
	}
	b1, err := r.src.ReadByte()
	if err != nil {
		return 0, false, 0, unexpected(err)
	}
	if err := checkHeader(b0, b1); err != nil {
		return 0, false, 0, err
	}
	op, fin = b0&0x0F, b0&0x80 != 0
	if n, err = r.readLength(b1 & 0x7F); err != nil {
		return 0, false, 0, err
	}
	if _, err := io.ReadFull(r.src, r.key[:]); err != nil {
		return 0, false, 0, unexpected(err)
	}
	return op, fin, n, nil
}

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

// readLength reads the payload length (§5.2): 7 bits, or 16 or 64 more.
func (r *frameReader) readLength(n7 byte) (int, error) {
	var ext []byte
	switch n7 {
	case 126:
		ext = r.ext[:2]
	case 127:
		ext = r.ext[:8]
	default:
		return int(n7), nil
	}
	if _, err := io.ReadFull(r.src, ext); err != nil {
		return 0, unexpected(err)
	}
	if n7 == 126 {
		return int(binary.BigEndian.Uint16(ext)), nil
	}
	n := binary.BigEndian.Uint64(ext)
	if n>>63 != 0 { // the most significant bit must be 0
		return 0, errBadLength
	}
	return int(n), nil
}

// readControl reads a control frame's payload; a close frame's must be a
// valid status and reason.
func (r *frameReader) readControl(op byte, n int) (frame, error) {
	p := r.ctrl[:n]
	if _, err := io.ReadFull(r.src, p); err != nil {
		return frame{}, unexpected(err)
	}
	unmask(r.key, p)
	f := frame{op: op, size: n, payload: p}
	if op == opClose {
		code, err := closeStatus(p)
		if err != nil {
			return frame{}, err
		}
		f.code = code
	}
	return f, nil
}

// readData checks a data frame against the message rules before reading
// its payload, then keeps the payload in the message or throws it away.
func (r *frameReader) readData(op byte, fin bool, n int) (frame, error) {
	if err := r.admit(op, fin, n); err != nil {
		return frame{}, err
	}
	if err := r.payload(n); err != nil {
		return frame{}, err
	}
	f := frame{op: op, size: n}
	if fin {
		if !r.dropped && !r.skipping {
			f.message, f.msgOp, f.done = r.msg, r.op, true
		}
		r.op = 0
	}
	return f, nil
}

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

// payload reads a data frame's n payload bytes onto the message, unmasked
// in place, or throws them away when the message is not kept.
func (r *frameReader) payload(n int) error {
	if r.dropped || r.skipping {
		_, err := r.src.Discard(n)
		return unexpected(err)
	}
	start := len(r.msg)
	r.msg = slices.Grow(r.msg, n)[:start+n]
	if _, err := io.ReadFull(r.src, r.msg[start:]); err != nil {
		return unexpected(err)
	}
	unmask(r.key, r.msg[start:])
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

// unexpected turns an EOF inside a frame into io.ErrUnexpectedEOF: only an
// EOF between frames is the peer ending cleanly.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
