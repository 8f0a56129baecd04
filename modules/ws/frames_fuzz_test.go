package ws

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// refFrame is one frame as a plain reading of the bytes sees it, with no
// rules: the oracle of FuzzFrameReader.
type refFrame struct {
	op      byte
	payload []byte
}

// refParse reads whole frames (any opcode, masked or not) until the bytes
// run out.
func refParse(b []byte) []refFrame {
	var out []refFrame
	for len(b) >= 2 {
		op, masked, n, h := b[0]&0x0F, b[1]&0x80 != 0, uint64(b[1]&0x7F), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return out
			}
			n, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return out
			}
			n, h = binary.BigEndian.Uint64(b[2:]), 10
		}
		var key []byte
		if masked {
			if len(b) < h+4 {
				return out
			}
			key, h = b[h:h+4], h+4
		}
		if n > uint64(len(b)-h) {
			return out
		}
		p := bytes.Clone(b[h : h+int(n)])
		for i := range p {
			if key != nil {
				p[i] ^= key[i%4]
			}
		}
		out = append(out, refFrame{op, p})
		b = b[h+int(n):]
	}
	return out
}

// FuzzFrameReader feeds any bytes to the reader: it never panics, never
// hands over a message over the limit, and every message it hands over is
// the payloads of the frames that carried it, in order.
func FuzzFrameReader(f *testing.F) {
	for _, seed := range [][]byte{
		text(true, `{"type":"system.ping"}`),
		cat(text(false, "a"), control(opPing, []byte("p")), cont(true, "b")),
		fragmented(6, 1, 1), fragmented(5, 64, 3), closeFrame(1000, "bye"),
		wire(0x80|opText, false, false, []byte("x")), wire(0x80|opBinary, true, true, []byte("x")),
		text(true, strings.Repeat("x", 300)),
	} {
		f.Add(seed)
	}
	const limit = 256
	f.Fuzz(func(t *testing.T, in []byte) {
		ref := refParse(in)
		r := newPullReader(bytes.NewReader(in), limit, 1+len(in)%13)
		var msg []byte // what the frames of the open message carried
		for i := 0; ; i++ {
			fr, err := r.next()
			if err != nil {
				return
			}
			if i >= len(ref) || ref[i].op != fr.op || len(ref[i].payload) != fr.size {
				t.Fatalf("frame %d: read op %x size %d, the bytes hold %+v", i, fr.op, fr.size, ref[i:])
			}
			switch {
			case isControl(fr.op):
				if !bytes.Equal(fr.payload, ref[i].payload) {
					t.Fatalf("frame %d: control payload %q, want %q", i, fr.payload, ref[i].payload)
				}
				continue
			case fr.op == opContinuation:
				msg = append(msg, ref[i].payload...)
			default:
				msg = append(msg[:0], ref[i].payload...)
			}
			if !fr.done {
				continue
			}
			if len(fr.message) > limit {
				t.Fatalf("a message of %d bytes, over the limit of %d", len(fr.message), limit)
			}
			if !bytes.Equal(fr.message, msg) {
				t.Fatalf("frame %d: message %q, the frames carried %q", i, fr.message, msg)
			}
		}
	})
}

// endless repeats the same bytes forever, for reading frames without end.
type endless struct {
	b []byte
	i int
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.b[e.i:])
	e.i = (e.i + n) % len(e.b)
	return n, nil
}

// BenchmarkFrameReader reads small masked text frames, one message each:
// no allocation per frame once the buffer has grown.
func BenchmarkFrameReader(b *testing.B) {
	frame := text(true, `{"type":"chat.message","text":"hello, room"}`)
	r := newPullReader(&endless{b: bytes.Repeat(frame, 64)}, 64<<10, 16<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if f, err := r.next(); err != nil || !f.done {
			b.Fatalf("%+v %v", f, err)
		}
	}
}
