package proc

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// RSS is the resident set size of pid (VmRSS in /proc/<pid>/status):
// what an operator's top or ps shows for the server.
func RSS(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseVmRSS(b)
}

// CPUTime is the user+system CPU time pid has used so far.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseStatCPU(b)
}

// cpuMask is a kernel cpu_set_t for up to 1024 CPUs.
type cpuMask [16]uint64

func maskOf(cpus []int) (m cpuMask) {
	for _, c := range cpus {
		m[c/64] |= 1 << (c % 64)
	}
	return m
}

func (m cpuMask) cpus() []int {
	var out []int
	for i := range len(m) * 64 {
		if m[i/64]&(1<<(i%64)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

// AllowedCPUs is the CPUs this process may run on (what nproc counts).
func AllowedCPUs() ([]int, error) {
	var m cpuMask
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
	if e != 0 {
		return nil, fmt.Errorf("sched_getaffinity: %w", e)
	}
	return m.cpus(), nil
}

// PinSelf restricts every thread of this process to cpus and sets
// GOMAXPROCS to match. sched_setaffinity applies to one thread, and a new
// thread inherits the mask of the one that creates it, so every thread in
// /proc/self/task is set, again until a pass finds nothing left to change.
func PinSelf(cpus []int) error {
	want := maskOf(cpus)
	for range 5 {
		tids, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		changed := false
		for _, t := range tids {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			var have cpuMask
			_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, uintptr(tid), unsafe.Sizeof(have), uintptr(unsafe.Pointer(&have)))
			if e == syscall.ESRCH {
				continue // the thread has exited
			}
			if e == 0 && have == want {
				continue
			}
			_, _, e = syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(want), uintptr(unsafe.Pointer(&want)))
			if e != 0 && e != syscall.ESRCH {
				return fmt.Errorf("sched_setaffinity(%d): %w", tid, e)
			}
			changed = true
		}
		if !changed {
			runtime.GOMAXPROCS(len(cpus))
			return nil
		}
	}
	return fmt.Errorf("threads kept appearing while pinning to CPUs %v", cpus)
}
