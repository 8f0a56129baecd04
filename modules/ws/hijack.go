package ws

import (
	"net"
	"sync"
	"time"
)

// tcpConn is the connection under fasthttp's wrapper of a hijacked one,
// whose reads come from fasthttp's buffer and whose Close does nothing
// until fasthttp's handler returns.
func tcpConn(hijacked net.Conn) net.Conn {
	if u, ok := hijacked.(interface{ UnsafeConn() net.Conn }); ok {
		return u.UnsafeConn()
	}
	return hijacked
}

// longAgo is a read deadline that has passed: reads take what is buffered
// and never wait on the socket.
var longAgo = time.Unix(1, 0)

// unread returns what fasthttp had read from the socket past the
// handshake (a client may send frames right behind it): those bytes are in
// fasthttp's read buffer, which is released when serve returns. The rest
// is still in the kernel, for the reader.
func unread(hijacked, raw net.Conn) []byte {
	if hijacked == raw {
		return nil
	}
	_ = raw.SetReadDeadline(longAgo)
	defer func() { _ = raw.SetReadDeadline(time.Time{}) }()
	chunk := unreadChunks.Get().(*[unreadChunk]byte)
	defer unreadChunks.Put(chunk)
	var out []byte
	for {
		n, err := hijacked.Read(chunk[:])
		out = append(out, chunk[:n]...)
		if err != nil || n == 0 {
			return out
		}
	}
}

// unreadChunk is what unread reads at a time: fasthttp's read buffer is
// 4 KiB, so usually one read and one that finds it empty. The chunks are
// pooled: nearly every handshake finds nothing, and allocating one per
// handshake was most of what unread cost.
const unreadChunk = 4 << 10

var unreadChunks = sync.Pool{New: func() any { return new([unreadChunk]byte) }}

// descriptor is the TCP socket's descriptor, or -1. It stays c's until
// c.nc is closed, which happens only once reading is over and the writer
// has stopped (Handler.end).
func descriptor(nc net.Conn) int {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return -1
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if raw.Control(func(d uintptr) { fd = int(d) }) != nil {
		return -1
	}
	return fd
}
