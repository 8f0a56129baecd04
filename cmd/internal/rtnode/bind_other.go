//go:build !linux

package rtnode

import "syscall"

// bindAddressNoPort does nothing where there is no IP_BIND_ADDRESS_NO_PORT:
// the port is taken at bind, so fewer connections fit one source address.
func bindAddressNoPort(_, _ string, _ syscall.RawConn) error { return nil }
