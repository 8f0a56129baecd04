package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// wire builds one client frame as it travels: b0 (FIN, RSV bits, opcode),
// the mask bit, the shortest length encoding (or the 64-bit one when
// long64), a masking key and the masked payload.
func wire(b0 byte, masked, long64 bool, payload []byte) []byte {
	maskBit := byte(0)
	if masked {
		maskBit = 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case long64:
		f = binary.BigEndian.AppendUint64(append(f, maskBit|127), uint64(n))
	case n < 126:
		f = append(f, maskBit|byte(n))
	default:
		f = binary.BigEndian.AppendUint16(append(f, maskBit|126), uint16(n))
	}
	if !masked {
		return append(f, payload...)
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

// Shorthands for well-formed masked frames.
func text(fin bool, s string) []byte   { return wire(finBit(fin)|opText, true, false, []byte(s)) }
func cont(fin bool, s string) []byte   { return wire(finBit(fin)|opContinuation, true, false, []byte(s)) }
func control(op byte, p []byte) []byte { return wire(0x80|op, true, false, p) }
func closeFrame(code int, r string) []byte {
	return control(opClose, append(binary.BigEndian.AppendUint16(nil, uint16(code)), r...))
}

func finBit(fin bool) byte {
	if fin {
		return 0x80
	}
	return 0
}

// fragmented is a text message of n frames of size bytes each but the
// last, which has last bytes.
func fragmented(n, size, last int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		p, fin := strings.Repeat("x", size), i == n-1
		if fin {
			p = strings.Repeat("x", last)
		}
		if i == 0 {
			b = append(b, text(fin, p)...)
		} else {
			b = append(b, cont(fin, p)...)
		}
	}
	return b
}

// readAll reads frames until an error and lists what was handed over:
// "text:…"/"binary:…" for messages, "ping:…", "pong:…", "close:code".
func readAll(in []byte, limit int) ([]string, error) {
	r := newPullReader(bytes.NewReader(in), limit, 1+len(in)%13)
	var got []string
	for {
		f, err := r.next()
		if err != nil {
			return got, err
		}
		switch {
		case f.done && f.msgOp == opText:
			got = append(got, "text:"+string(f.message))
		case f.done:
			got = append(got, "binary:"+string(f.message))
		case f.op == opPing, f.op == opPong:
			got = append(got, fmt.Sprintf("%s:%s", map[byte]string{opPing: "ping", opPong: "pong"}[f.op], f.payload))
		case f.op == opClose:
			got = append(got, fmt.Sprintf("close:%d", f.code))
		}
	}
}

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

func TestFrameReader(t *testing.T) {
	big := strings.Repeat("b", 200)
	for _, tc := range []struct {
		name  string
		in    []byte
		limit int
		want  []string // what is handed over before the end
		code  int      // the close the end gets; 0: the stream simply ends
		end   error    // when code is 0: io.EOF or io.ErrUnexpectedEOF
	}{
		{"one text frame", text(true, "hi"), 0, []string{"text:hi"}, 0, io.EOF},
		{"empty text frame", text(true, ""), 0, []string{"text:"}, 0, io.EOF},
		{"binary frame", wire(0x80|opBinary, true, false, []byte("b")), 0, []string{"binary:b"}, 0, io.EOF},
		{"16-bit length", text(true, big), 0, []string{"text:" + big}, 0, io.EOF},
		{"64-bit length", wire(0x80|opText, true, true, []byte("hi")), 0, []string{"text:hi"}, 0, io.EOF},
		{"three fragments", cat(text(false, "a"), cont(false, "b"), cont(true, "c")), 0, []string{"text:abc"}, 0, io.EOF},
		{"ping inside a fragmented message", cat(text(false, "a"), control(opPing, []byte("p")), cont(true, "b")), 0,
			[]string{"ping:p", "text:ab"}, 0, io.EOF},
		{"pong", control(opPong, []byte("q")), 0, []string{"pong:q"}, 0, io.EOF},
		{"ping of 125 bytes", control(opPing, bytes.Repeat([]byte("p"), 125)), 0, []string{"ping:" + strings.Repeat("p", 125)}, 0, io.EOF},

		// Everything the library's reader enforced.
		{"unmasked frame", wire(0x80|opText, false, false, []byte("hi")), 0, nil, 1002, nil},
		{"RSV1", wire(0xC0|opText, true, false, nil), 0, nil, 1002, nil},
		{"RSV2", wire(0xA0|opText, true, false, nil), 0, nil, 1002, nil},
		{"RSV3", wire(0x90|opText, true, false, nil), 0, nil, 1002, nil},
		{"opcode 3", wire(0x83, true, false, nil), 0, nil, 1002, nil},
		{"opcode 7", wire(0x87, true, false, nil), 0, nil, 1002, nil},
		{"opcode 0xB", wire(0x8B, true, false, nil), 0, nil, 1002, nil},
		{"opcode 0xF", wire(0x8F, true, false, nil), 0, nil, 1002, nil},
		{"ping of 126 bytes", control(opPing, bytes.Repeat([]byte("p"), 126)), 0, nil, 1002, nil},
		{"ping without FIN", wire(opPing, true, false, nil), 0, nil, 1002, nil},
		{"close without FIN", wire(opClose, true, false, nil), 0, nil, 1002, nil},
		{"continuation without a message", cont(true, "x"), 0, nil, 1002, nil},
		{"continuation after the last fragment", cat(text(true, "a"), cont(true, "b")), 0, []string{"text:a"}, 1002, nil},
		{"text inside a fragmented message", cat(text(false, "a"), text(true, "b")), 0, nil, 1002, nil},
		{"binary inside a fragmented message", cat(text(false, "a"), wire(0x80|opBinary, true, false, nil)), 0, nil, 1002, nil},
		{"64-bit length with the top bit set", cat(text(true, "a"), []byte{0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1}), 0, []string{"text:a"}, 1002, nil},

		// MAX_FRAME_BYTES bounds the message, however it is split.
		{"message at the limit", text(true, big), 200, []string{"text:" + big}, 0, io.EOF},
		{"frame over the limit", text(true, big), 199, nil, 1009, nil},
		{"fragments over the limit", cat(text(false, big[:100]), cont(true, big[:100])), 199, nil, 1009, nil},
		{"64-bit length far over the limit", []byte{0x81, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}, 0, nil, 1009, nil},

		// The fragment rules.
		{"64 fragments", fragmented(64, 64, 1), 1 << 20, []string{"text:" + strings.Repeat("x", 63*64+1)}, 0, io.EOF},
		{"65 fragments", fragmented(65, 64, 1), 1 << 20, nil, 1002, nil},
		{"65 empty-enough fragments", fragmented(65, 1000, 1000), 1 << 20, nil, 1002, nil},
		{"4 tiny fragments and a tiny last one", fragmented(5, 1, 1), 0, []string{"text:xxxxx"}, 0, io.EOF},
		{"a tiny 5th fragment", fragmented(6, 1, 1), 0, nil, 1002, nil},
		{"an empty 5th fragment", fragmented(6, 0, 0), 0, nil, 1002, nil},
		{"a 63-byte 5th fragment", cat(text(false, "a"), cont(false, "b"), cont(false, "c"), cont(false, "d"), cont(false, strings.Repeat("e", 63))), 0, nil, 1002, nil},
		{"a 64-byte 5th fragment", cat(text(false, "a"), cont(false, "b"), cont(false, "c"), cont(false, "d"), cont(false, strings.Repeat("e", 64)), cont(true, "f")), 0,
			[]string{"text:abcd" + strings.Repeat("e", 64) + "f"}, 0, io.EOF},
		{"the rules count per message", cat(fragmented(64, 64, 1), fragmented(64, 64, 1)), 1 << 20,
			[]string{"text:" + strings.Repeat("x", 63*64+1), "text:" + strings.Repeat("x", 63*64+1)}, 0, io.EOF},

		// Close frames (RFC 6455 §5.5.1, §7.4).
		{"close without a status", control(opClose, nil), 0, []string{"close:1005"}, 0, io.EOF},
		{"close 1000 with a reason", closeFrame(1000, "bye"), 0, []string{"close:1000"}, 0, io.EOF},
		{"close 1013", closeFrame(1013, ""), 0, []string{"close:1013"}, 0, io.EOF},
		{"close 3000", closeFrame(3000, ""), 0, []string{"close:3000"}, 0, io.EOF},
		{"close 4999", closeFrame(4999, ""), 0, []string{"close:4999"}, 0, io.EOF},
		{"close of one byte", control(opClose, []byte{3}), 0, nil, 1002, nil},
		{"close 999", closeFrame(999, ""), 0, nil, 1002, nil},
		{"close 1004", closeFrame(1004, ""), 0, nil, 1002, nil},
		{"close 1005", closeFrame(1005, ""), 0, nil, 1002, nil},
		{"close 1006", closeFrame(1006, ""), 0, nil, 1002, nil},
		{"close 1014", closeFrame(1014, ""), 0, nil, 1002, nil},
		{"close 2999", closeFrame(2999, ""), 0, nil, 1002, nil},
		{"close 5000", closeFrame(5000, ""), 0, nil, 1002, nil},
		{"close reason not UTF-8", closeFrame(1000, "\xff"), 0, nil, 1007, nil},

		// The end of the stream.
		{"nothing", nil, 0, nil, 0, io.EOF},
		{"EOF inside the header", text(true, "hi")[:1], 0, nil, 0, io.ErrUnexpectedEOF},
		{"EOF inside the mask key", text(true, "hi")[:4], 0, nil, 0, io.ErrUnexpectedEOF},
		{"EOF inside the payload", text(true, "hi")[:7], 0, nil, 0, io.ErrUnexpectedEOF},
		{"EOF inside a fragmented message", text(false, "hi"), 0, nil, 0, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = 1024
			}
			got, err := readAll(tc.in, limit)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("handed over %q, want %q", got, tc.want)
			}
			var fe *frameError
			switch {
			case tc.code != 0 && (!errors.As(err, &fe) || fe.code != tc.code):
				t.Errorf("ended with %v, want close %d", err, tc.code)
			case tc.code == 0 && !errors.Is(err, tc.end):
				t.Errorf("ended with %v, want %v", err, tc.end)
			}
		})
	}
}

// The close reasons of the fragment rules say which rule was broken.
func TestFragmentRuleReasons(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{fragmented(65, 64, 1), "too many fragments"},
		{fragmented(6, 1, 1), "fragment too small"},
	} {
		_, err := readAll(tc.in, 1<<20)
		var fe *frameError
		if !errors.As(err, &fe) || fe.code != 1002 || fe.text != tc.want {
			t.Errorf("ended with %v, want 1002 %q", err, tc.want)
		}
	}
}

// A dropped message's frames are still read, and checked, but thrown away;
// the client is told once per message, and the next message is kept.
func TestFrameReaderDrop(t *testing.T) {
	in := cat(text(false, "a"), cont(false, "b"), control(opPing, nil), cont(true, "c"), text(true, "next"))
	r := newPullReader(bytes.NewReader(in), 1024, 5)
	if f, err := r.next(); err != nil || f.done {
		t.Fatalf("first fragment: %+v %v", f, err)
	}
	if !r.drop() {
		t.Fatal("first drop of a message: want true")
	}
	if f, _ := r.next(); f.done || !r.dropped {
		t.Fatalf("second fragment handed over %+v", f)
	}
	if r.drop() {
		t.Fatal("second drop of the same message: want false")
	}
	if f, _ := r.next(); f.op != opPing {
		t.Fatalf("control frame inside a dropped message: %+v", f)
	}
	if f, _ := r.next(); f.done {
		t.Fatalf("last fragment of a dropped message handed over %q", f.message)
	}
	if f, _ := r.next(); !f.done || string(f.message) != "next" {
		t.Fatalf("the next message: %+v", f)
	}
}

// A dropped message still counts toward the fragment rules and the limit.
func TestFrameReaderDroppedMessageKeepsTheRules(t *testing.T) {
	r := newPullReader(bytes.NewReader(fragmented(65, 64, 1)), 1<<20, 4096)
	var err error
	for i := 0; err == nil; i++ {
		if _, err = r.next(); i == 0 {
			r.drop()
		}
	}
	if !errors.Is(err, errTooManyFragments) {
		t.Fatalf("ended with %v, want too many fragments", err)
	}
}

// A message that arrives in pieces is assembled in a buffer of the
// reader's, freed before the next frame: between messages an idle
// connection holds none. A message that arrives whole is handed over
// where it lies, unmasked in place, without a buffer at all.
func TestFrameReaderBuffer(t *testing.T) {
	big := strings.Repeat("b", 12<<10)
	r := newPullReader(bytes.NewReader(cat(text(true, big), text(true, "small"))), 1<<20, 3)
	if f, _ := r.next(); string(f.message) != big {
		t.Fatal("big message")
	}
	if f, _ := r.next(); string(f.message) != "small" {
		t.Fatalf("after a big message: %q", f.message)
	}
	r.parse(nil)
	if r.msg != nil {
		t.Fatalf("a buffer of %d bytes kept between messages", cap(r.msg))
	}

	in := text(true, "whole")
	w := newFrameReader(1024)
	f, used, ok, err := w.parse(in)
	if !ok || err != nil || used != len(in) || string(f.message) != "whole" || w.msg != nil {
		t.Fatalf("whole frame: %+v used %d ok %v err %v, buffer %v", f, used, ok, err, w.msg)
	}
	if &f.message[0] != &in[len(in)-5] {
		t.Fatal("a whole frame is copied")
	}
}

// A closing connection's frames are read and thrown away, still checked.
func TestFrameReaderSkip(t *testing.T) {
	r := newPullReader(bytes.NewReader(cat(text(true, "x"), closeFrame(1000, ""), cont(true, ""))), 1024, 1)
	r.skip()
	if f, err := r.next(); err != nil || f.done || f.size != 1 {
		t.Fatalf("skipped frame: %+v %v", f, err)
	}
	if f, _ := r.next(); f.op != opClose || f.code != 1000 {
		t.Fatalf("close while skipping: %+v", f)
	}
	if _, err := r.next(); !errors.Is(err, errNoMessage) {
		t.Fatalf("broken rule while skipping: %v", err)
	}
}

func TestUnmask(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := 0; n < 40; n++ {
		p := bytes.Repeat([]byte{0xAA}, n)
		unmask(key, p)
		for i, b := range p {
			if b != 0xAA^key[i%4] {
				t.Fatalf("%d bytes: byte %d is %x", n, i, b)
			}
		}
	}
}
