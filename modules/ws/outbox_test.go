package ws

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// appendFrame writes RFC 6455 §5.2 headers: FIN and the opcode, no mask,
// and the shortest of the three payload-length encodings.
func TestAppendFrame(t *testing.T) {
	for _, tc := range []struct {
		n      int
		header []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xFF, 0xFF}},
		{65536, append([]byte{0x81, 127}, binary.BigEndian.AppendUint64(nil, 65536)...)},
	} {
		payload := bytes.Repeat([]byte{'x'}, tc.n)
		got := appendFrame([]byte("before"), opText, payload)
		want := append(append([]byte("before"), tc.header...), payload...)
		if !bytes.Equal(got, want) {
			t.Errorf("%d bytes: header % x, want % x", tc.n, got[6:6+len(tc.header)], tc.header)
		}
	}
	if got := appendFrame(nil, opPong, []byte("p")); !bytes.Equal(got, []byte{0x8A, 1, 'p'}) {
		t.Errorf("pong frame % x", got)
	}
}
