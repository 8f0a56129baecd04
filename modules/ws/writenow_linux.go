//go:build linux

package ws

import "golang.org/x/sys/unix"

// writeNow writes b to the socket fd without waiting: what the socket's
// buffer takes now. It returns errWouldBlock when it takes nothing.
func writeNow(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Write(fd, b)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, errWouldBlock
		}
		return 0, err
	}
}
