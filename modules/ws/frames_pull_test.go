package ws

import (
	"io"
)

// pullReader reads frames one at a time from a stream, handing the frame
// reader chunk bytes per read: the tests' view of what a socket delivers
// in pieces.
type pullReader struct {
	*frameReader
	src     io.Reader
	buf     []byte
	pending []byte
}

func newPullReader(src io.Reader, limit, chunk int) *pullReader {
	return &pullReader{frameReader: newFrameReader(limit), src: src, buf: make([]byte, max(1, chunk))}
}

// next returns the next complete frame, or the error that stopped it: a
// broken rule, or the stream's end (io.ErrUnexpectedEOF inside a frame).
func (p *pullReader) next() (frame, error) {
	for {
		if len(p.pending) > 0 {
			f, n, ok, err := p.parse(p.pending)
			p.pending = p.pending[n:]
			if err != nil || ok {
				return f, err
			}
			continue
		}
		n, err := p.src.Read(p.buf)
		if n == 0 && err != nil {
			if err == io.EOF && (p.inFrame || p.hdrN > 0) {
				err = io.ErrUnexpectedEOF
			}
			return frame{}, err
		}
		p.pending = p.buf[:n]
	}
}
