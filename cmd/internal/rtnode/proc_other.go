//go:build !linux

package rtnode

import "syscall"

// ChildAttr has no parent-death signal to ask for outside Linux: a child
// is stopped by Stop only.
func ChildAttr() *syscall.SysProcAttr { return nil }
