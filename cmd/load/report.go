package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strings"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

// report is everything a run measured, with the machine it ran on.
type report struct {
	Machine machine  `json:"machine"`
	Source  string   `json:"server_source"`
	Pinning string   `json:"pinning"`
	Ceiling *ceiling `json:"ceiling,omitempty"`
	Rows    []*row   `json:"scenarios"`
	// With -baseline, -bare or -rounds: the binaries compared, and each
	// job's key figures server by server (medians over the rounds).
	Baseline   string        `json:"baseline_binary,omitempty"`
	Bare       string        `json:"bare_binary,omitempty"`
	Rounds     int           `json:"rounds,omitempty"`
	SideBySide []*sideBySide `json:"side_by_side,omitempty"`
}

func (r *report) failed() bool {
	return slices.ContainsFunc(r.Rows, func(x *row) bool { return x.Error != "" })
}

// row is one scenario's result: the markdown cells of its table row, the
// figures behind them, and its details.
type row struct {
	Scenario  string   `json:"scenario"`
	Server    string   `json:"server,omitempty"`        // baseline, this or bare, when the run compares servers
	Binary    string   `json:"server_binary,omitempty"` // the binary that label ran, then
	Round     int      `json:"round,omitempty"`         // with -rounds above 1
	Command   string   `json:"command"`
	Mode      string   `json:"mode"`
	Settings  settings `json:"settings"`
	Setup     string   `json:"setup"`
	Result    string   `json:"result"`
	Latency   string   `json:"latency"`
	VsCeiling string   `json:"vs_ceiling"`
	ServerCPU string   `json:"server_cpu"`
	Health    string   `json:"health"`
	Error     string   `json:"error,omitempty"`
	Figures   any      `json:"figures,omitempty"`

	rate    float64     // frames/s, compared to the ceiling; 0 = not a frame rate
	details [][2]string // the figures in words, for the markdown details
	job     int         // index of its job: the side-by-side table groups by it
}

// serverCell is the row's server column: "this", "baseline · round 2".
func (x *row) serverCell() string {
	s := cmp.Or(x.Server, labelThis)
	if x.Round > 0 {
		s += fmt.Sprintf(" · round %d", x.Round)
	}
	return s
}

// machine is what docs/performance.md quotes as "machine".
type machine struct {
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	CPUs      int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	LoadAvg   string `json:"loadavg_1m_at_start"`
}

func describeMachine() machine {
	return machine{
		GoVersion: goVersion(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:      runtime.NumCPU(), // like nproc, it honours the CPU affinity mask
		CPUModel:  cpuModel(),
		LoadAvg:   loadAverage(),
	}
}

// goVersion asks the go command rather than this binary's runtime: it is
// the toolchain that built the server.
func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// sourceVersion is the commit the server was built from, "+ local changes"
// when the working tree differs from it.
func sourceVersion() string {
	root, err := moduleRoot()
	if err != nil {
		return "unknown"
	}
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty= + local changes").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	return strings.TrimSpace(string(out))
}

// printJSON writes the report as JSON; the cells lose their markdown bold.
func printJSON(w io.Writer, r *report) error {
	plain := *r
	plain.Rows = make([]*row, len(r.Rows))
	for i, x := range r.Rows {
		y := *x
		for _, c := range []*string{&y.Setup, &y.Result, &y.Latency, &y.VsCeiling, &y.ServerCPU, &y.Health} {
			*c = strings.ReplaceAll(*c, "**", "")
		}
		plain.Rows[i] = &y
	}
	r = &plain
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// printMarkdown writes the summary table (one row per scenario), the
// ceiling, pinning and machine lines, then each scenario's details.
//
// A run that compares servers or repeats rounds has a server column, and
// after the table each job's key figures side by side.
func printMarkdown(w io.Writer, r *report) {
	labelled := len(r.SideBySide) > 0
	serverHead, serverRule := "", ""
	if labelled {
		serverHead, serverRule = " server |", "---|"
	}
	fmt.Fprintf(w, "| scenario |%s command | mode | setup | result | latency | ÷ ceiling (1 / 16 frames per write) | server CPU | health |\n", serverHead)
	fmt.Fprintf(w, "|---|%s---|---|---|---|---|---|---|---|\n", serverRule)
	for _, x := range r.Rows {
		health := x.Health
		if x.Error != "" {
			health = "**failed**: " + mdtable.Cell(x.Error)
		}
		server := ""
		if labelled {
			server = " " + x.serverCell() + " |"
		}
		fmt.Fprintf(w, "| %s |%s `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
			x.Scenario, server, x.Command, x.Mode, mdtable.Dash(x.Setup), mdtable.Dash(x.Result), mdtable.Dash(x.Latency), mdtable.Dash(x.VsCeiling), mdtable.Dash(x.ServerCPU), mdtable.Dash(health))
	}
	for _, sb := range r.SideBySide {
		sb.print(w, r.Rounds)
	}
	fmt.Fprintln(w)
	if r.Ceiling != nil {
		fmt.Fprintln(w, r.Ceiling)
	} else {
		fmt.Fprintln(w, "ceiling: not measured (-ceiling=false)")
	}
	fmt.Fprintf(w, "pinning: %s\n", r.Pinning)
	m := r.Machine
	fmt.Fprintf(w, "machine: %s %s, nproc %d, %s (load average %s at start); server built from %s\n", m.GoVersion, m.Platform, m.CPUs, m.CPUModel, m.LoadAvg, r.Source)
	if r.Baseline != "" {
		fmt.Fprintf(w, "baseline: %s (rows labelled baseline); this: the build of %s\n", r.Baseline, r.Source)
	}
	if r.Bare != "" {
		fmt.Fprintf(w, "bare: %s (rows labelled bare: no rooms, no presence; a handshake counted at the 101)\n", r.Bare)
	}
	for _, x := range r.Rows {
		if len(x.details) == 0 {
			continue
		}
		if labelled {
			fmt.Fprintf(w, "\n%s, %s (`%s`):\n\n| | |\n|---|---|\n", x.Scenario, x.serverCell(), x.Command)
		} else {
			fmt.Fprintf(w, "\n%s (`%s`):\n\n| | |\n|---|---|\n", x.Scenario, x.Command)
		}
		for _, d := range x.details {
			fmt.Fprintf(w, "| %s | %s |\n", d[0], mdtable.Cell(d[1]))
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// cpuCell is "1.23 s (45% of one core)".
func cpuCell(cpuSeconds, wallSeconds float64) string {
	if wallSeconds <= 0 {
		return fmt.Sprintf("%.2f s", cpuSeconds)
	}
	return fmt.Sprintf("%.2f s (%.0f%% of one core)", cpuSeconds, cpuSeconds/wallSeconds*100)
}

// share is "45% of its 1 CPU": cpu seconds used over wall seconds on cpus
// CPUs. Near 100% for the load generator, a figure is its limit rather
// than the server's.
func share(cpu, wall float64, cpus int) string {
	if wall <= 0 || cpus <= 0 {
		return "n/a"
	}
	unit := "CPUs"
	if cpus == 1 {
		unit = "CPU"
	}
	return fmt.Sprintf("%.0f%% of its %d %s", cpu/wall/float64(cpus)*100, cpus, unit)
}
