package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// selfCPUTime is this process's user+system CPU time: the load generator
// shares the machine with the server, so its own cost is reported too.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit, since each
// connection costs a descriptor here and one in the server, which inherits
// it. When need is above the hard limit too, it raises the hard limit (to
// fs.nr_open, the most the kernel allows), which only root may do: the
// servers started afterwards inherit it. It returns the soft limit.
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("raising RLIMIT_NOFILE: %w", err)
		}
	}
	if lim.Cur >= need {
		return lim.Cur, nil
	}
	target := max(need, nrOpen())
	raised := syscall.Rlimit{Cur: target, Max: target}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		return 0, fmt.Errorf("need about %d open files, RLIMIT_NOFILE is %d (hard limit %d) and %s (%w); at most -conns %d fits under it",
			need, lim.Cur, lim.Max, whyNotRaised(), err, (lim.Max-256)/1000*1000)
	}
	logf("RLIMIT_NOFILE raised from %d (hard %d) to %d for %d open files; the servers inherit it", lim.Cur, lim.Max, target, need)
	return target, nil
}

// capSysResource is CAP_SYS_RESOURCE's bit in the capability sets.
const capSysResource = 24

// whyNotRaised says why the hard RLIMIT_NOFILE could not be raised: it
// takes CAP_SYS_RESOURCE, which root has unless a container or sandbox
// dropped it (then nothing inside can raise the limit).
func whyNotRaised() string {
	if os.Geteuid() != 0 {
		return "raising the hard limit needs root (CAP_SYS_RESOURCE): run as root, or raise it before starting (ulimit -Hn)"
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(b)) {
			hex, ok := strings.CutPrefix(line, "CapEff:")
			if !ok {
				continue
			}
			if caps, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64); err == nil && caps&(1<<capSysResource) == 0 {
				return "this process is root without CAP_SYS_RESOURCE (dropped by the container or sandbox it runs in), so nothing inside can raise the hard limit: raise it where the sandbox starts"
			}
		}
	}
	return "the kernel refused to raise the hard limit (fs.nr_open is " + strconv.FormatUint(nrOpen(), 10) + ")"
}

// nrOpen is fs.nr_open, the highest RLIMIT_NOFILE the kernel accepts
// (1048576 by default), or 0 when it cannot be read.
func nrOpen() uint64 {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// cpuModel is the first "model name" in /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		key, val, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return "unknown"
}

// loadAverage is the 1-minute load average: other work on the machine
// competes with the server and the clients, and the figures show it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
