package rtnode

import "syscall"

// ChildAttr makes the kernel kill a child if this process dies without
// stopping it (a panic, SIGKILL), so no server outlives a run.
func ChildAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
