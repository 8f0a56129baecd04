// Package proc is what the programs under cmd/ that measure a server read
// and set through /proc and the scheduler: a process's resident memory and
// CPU time, and the CPUs a process runs on. It lives under cmd/internal:
// it is test machinery, not part of rt.
package proc

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat. The kernel
// fixes it at 100 for user space on every architecture Go supports.
const userHZ = 100

// ParseVmRSS reads VmRSS out of a /proc/<pid>/status, in bytes.
func ParseVmRSS(status []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		var kb uint64
		if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
			return 0, fmt.Errorf("VmRSS %q: %w", rest, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS in the process status")
}

// ParseStatCPU reads utime+stime out of a /proc/<pid>/stat.
func ParseStatCPU(stat []byte) (time.Duration, error) {
	// The command name (field 2) may hold spaces and parentheses: the fields
	// after it start past the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected process stat %q", stat)
	}
	fields := strings.Fields(string(stat[i+1:])) // fields[0] is field 3
	if len(fields) < 13 {
		return 0, fmt.Errorf("short process stat %q", stat)
	}
	var ticks int64
	for _, s := range fields[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("process stat: utime/stime %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// CPUList is "0", "1-3" or "0,2": taskset's notation.
func CPUList(cpus []int) string {
	cpus = slices.Clone(cpus)
	slices.Sort(cpus)
	out := ""
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if out != "" {
			out += ","
		}
		if j > i {
			out += fmt.Sprintf("%d-%d", cpus[i], cpus[j])
		} else {
			out += strconv.Itoa(cpus[i])
		}
		i = j + 1
	}
	return out
}
