package main

import (
	"fmt"
	"os/exec"
	"strconv"

	"github.com/rtserver/rt/cmd/internal/proc"
)

// pinning is where the server (and the ceiling writer) and the load
// generator run. On a machine of 2+ CPUs the server gets the first CPU and
// GOMAXPROCS=1, the load generator the others, so the two never compete for
// a core and the server's figures are those of one core.
type pinning struct {
	server  []int  // CPUs of the server child; nil = not pinned
	load    []int  // CPUs of this process; nil = not pinned
	taskset string // path of taskset(1)
	Note    string `json:"note"`
}

// planPinning decides the pinning; it pins nothing yet.
func planPinning(want bool) pinning {
	if !want {
		return pinning{Note: "not pinned (-pin=false): server and load generator share every CPU"}
	}
	cpus, err := proc.AllowedCPUs()
	if err != nil {
		return pinning{Note: "not pinned: " + err.Error()}
	}
	if len(cpus) < 2 {
		return pinning{Note: fmt.Sprintf("not pinned: only %d CPU", len(cpus))}
	}
	path, err := exec.LookPath("taskset")
	if err != nil {
		return pinning{Note: "not pinned: taskset not found (util-linux)"}
	}
	p := pinning{server: cpus[:1], load: cpus[1:], taskset: path}
	p.Note = fmt.Sprintf("server (and the ceiling writer) on CPU %s (taskset -c %s, GOMAXPROCS=1); load generator on CPU %s (sched_setaffinity, GOMAXPROCS=%d)",
		proc.CPUList(p.server), proc.CPUList(p.server), proc.CPUList(p.load), len(p.load))
	return p
}

// command is bin started on the server's CPU when pinned.
func (p pinning) command(bin string) *exec.Cmd {
	if p.server == nil {
		return exec.Command(bin)
	}
	return exec.Command(p.taskset, "-c", proc.CPUList(p.server), bin)
}

// env is what the server's environment gains from the pinning.
func (p pinning) env() []string {
	if p.server == nil {
		return nil
	}
	return []string{"GOMAXPROCS=" + strconv.Itoa(len(p.server))}
}
