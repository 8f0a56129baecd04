package ws

import (
	"encoding/binary"
	"slices"
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

// frameReader parses one client's frames from the bytes its socket gives,
// however they are split: parse takes what has arrived and hands back a
// frame each time one is complete, so a socket waiting for the rest of a
// frame holds at most its header here, never a goroutine or a read buffer.
// Only one goroutine at a time uses it (the connection's reader).
type frameReader struct {
	limit int // MAX_FRAME_BYTES: the most one message may carry

	hdr  [maxHeaderBytes]byte  // the current frame's header, as far as it has arrived
	hdrN int                   // bytes of hdr read
	ctrl [maxControlBytes]byte // the current control frame's payload

	// The frame being read once its header is complete: its opcode, FIN,
	// payload length and masking key, the payload bytes still to come, and
	// where its payload starts in msg.
	inFrame bool
	fop     byte
	fin     bool
	n       int
	key     [4]byte
	left    int
	start   int

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

// maxHeaderBytes is the longest frame header: 2 bytes, a 64-bit length
// and the masking key (§5.2).
const maxHeaderBytes = 14

func newFrameReader(limit int) *frameReader {
	return &frameReader{limit: limit}
}

// frame is one frame read. payload (a control frame's) and message are
// valid until the next parse.
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

// parse reads from p until one frame is complete (ok) or p is used up,
// and reports how many bytes of p it took. A frame that breaks the rules
// is an error as soon as the bytes that break them have arrived.
func (r *frameReader) parse(p []byte) (f frame, used int, ok bool, err error) {
	if !r.inFrame && r.hdrN == 0 {
		if f, used, whole, err := r.whole(p); whole || err != nil {
			return f, used, err == nil, err
		}
	}
	if !r.inFrame {
		used, err = r.header(p)
		if err != nil || !r.inFrame {
			return frame{}, used, false, err
		}
	}
	n := min(len(p)-used, r.left)
	r.take(p[used : used+n])
	used += n
	if r.left > 0 {
		return frame{}, used, false, nil
	}
	r.inFrame = false
	f, err = r.finish()
	return f, used, err == nil, err
}

// whole serves the common case without copying: an unfragmented data
// frame whose header and payload are all in p is unmasked in place and
// handed over as it lies in p. It reports false (and takes nothing) for
// any other frame, left to the general path, which also finds its errors.
func (r *frameReader) whole(p []byte) (f frame, used int, ok bool, err error) {
	if len(p) < 2 || checkHeader(p[0], p[1]) != nil {
		return frame{}, 0, false, nil
	}
	op, fin, hl := p[0]&0x0F, p[0]&0x80 != 0, headerLength(p[:2])
	if !fin || isControl(op) || op == opContinuation || r.op != 0 || len(p) < hl {
		return frame{}, 0, false, nil
	}
	n, err := payloadLength(p[:hl])
	if err != nil || len(p)-hl < n {
		return frame{}, 0, false, nil
	}
	r.release()
	if err := r.admit(op, fin, n); err != nil {
		return frame{}, hl, false, err
	}
	r.op = 0
	f = frame{op: op, size: n}
	if !r.skipping {
		payload := p[hl : hl+n]
		unmask([4]byte(p[hl-4:hl]), payload)
		f.message, f.msgOp, f.done = payload, op, true
	}
	return f, hl + n, true, nil
}

// header reads the current frame's header from p as far as it goes; once
// it is complete the frame's payload is what comes next.
func (r *frameReader) header(p []byte) (int, error) {
	if r.hdrN == 0 {
		r.release()
	}
	used := 0
	for {
		need := headerLength(r.hdr[:r.hdrN])
		if r.hdrN == need {
			break
		}
		n := copy(r.hdr[r.hdrN:need], p[used:])
		r.hdrN += n
		used += n
		if r.hdrN == 2 {
			if err := checkHeader(r.hdr[0], r.hdr[1]); err != nil {
				return used, err
			}
		}
		if r.hdrN >= 3 && r.hdr[1]&0x7F == 127 && r.hdr[2]&0x80 != 0 {
			return used, errBadLength // a 64-bit length's top bit must be 0
		}
		if n == 0 {
			return used, nil // the rest of the header has not arrived
		}
	}
	return used, r.begin()
}

// headerLength is how long the header that starts with h is: 2 until its
// second byte says more.
func headerLength(h []byte) int {
	if len(h) < 2 {
		return 2
	}
	switch h[1] & 0x7F {
	case 126:
		return 2 + 2 + 4
	case 127:
		return 2 + 8 + 4
	}
	return 2 + 4
}

// begin starts the frame whose header is complete in hdr: its length,
// its key, and for a data frame the message rules.
func (r *frameReader) begin() error {
	h := r.hdr[:r.hdrN]
	r.hdrN = 0
	op, fin := h[0]&0x0F, h[0]&0x80 != 0
	n, err := payloadLength(h)
	if err != nil {
		return err
	}
	copy(r.key[:], h[len(h)-4:])
	if !isControl(op) {
		if err := r.admit(op, fin, n); err != nil {
			return err
		}
		if r.keeps() {
			r.start = len(r.msg)
			r.msg = slices.Grow(r.msg, n)
		}
	}
	r.inFrame, r.fop, r.fin, r.n, r.left = true, op, fin, n, n
	return nil
}

// payloadLength reads a complete header's payload length (§5.2): 7 bits,
// or 16 or 64 more.
func payloadLength(h []byte) (int, error) {
	switch h[1] & 0x7F {
	case 126:
		return int(binary.BigEndian.Uint16(h[2:4])), nil
	case 127:
		n := binary.BigEndian.Uint64(h[2:10])
		if n>>63 != 0 { // the most significant bit must be 0
			return 0, errBadLength
		}
		return int(n), nil
	}
	return int(h[1] & 0x7F), nil
}

// keeps says whether the current data frame's payload is kept in the
// message (and not thrown away).
func (r *frameReader) keeps() bool { return !r.dropped && !r.skipping }

// take adds payload bytes of the current frame: a control frame's to
// ctrl, a data frame's to the message unless it is thrown away.
func (r *frameReader) take(b []byte) {
	switch {
	case isControl(r.fop):
		copy(r.ctrl[r.n-r.left:], b)
	case r.keeps():
		r.msg = append(r.msg, b...)
	}
	r.left -= len(b)
}

// finish hands over the frame whose payload is complete.
func (r *frameReader) finish() (frame, error) {
	if isControl(r.fop) {
		return r.control()
	}
	f := frame{op: r.fop, size: r.n}
	if r.keeps() {
		unmask(r.key, r.msg[r.start:])
	}
	if r.fin {
		if r.keeps() {
			f.message, f.msgOp, f.done = r.msg, r.op, true
		}
		r.op = 0
	}
	return f, nil
}

// control hands over a control frame; a close frame's payload must be a
// valid status and reason.
func (r *frameReader) control() (frame, error) {
	p := r.ctrl[:r.n]
	unmask(r.key, p)
	f := frame{op: r.fop, size: r.n, payload: p}
	if r.fop == opClose {
		code, err := closeStatus(p)
		if err != nil {
			return frame{}, err
		}
		f.code = code
	}
	return f, nil
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

// release frees the message buffer once its message has been handled:
// between messages a connection holds none (most messages arrive whole
// and never need one).
func (r *frameReader) release() {
	if r.op == 0 {
		r.msg = nil
	}
}
