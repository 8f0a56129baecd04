package rtnode

import "syscall"

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT (linux/in.h, since 4.2),
// which the syscall package does not name.
const ipBindAddressNoPort = 24

// bindAddressNoPort asks the kernel to choose the port of a socket bound
// to a source address at connect rather than at bind: then a port is only
// taken for the one destination, as for a socket that is not bound.
func bindAddressNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	}); err != nil {
		return err
	}
	return serr
}
