//go:build !linux

package ws

// writeNow is Linux's; elsewhere every write waits in Go's runtime poller,
// under WRITE_TIMEOUT.
func writeNow(int, []byte) (int, error) { return 0, errWouldBlock }
