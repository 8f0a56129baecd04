package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// results is everything a run measured, with its parameters and machine.
type results struct {
	Params  params  `json:"params"`
	Mode    string  `json:"mode"`
	Machine machine `json:"machine"`

	Connected    int     `json:"connected"`
	DialSeconds  float64 `json:"dial_seconds"`
	RSSIdle      uint64  `json:"server_rss_idle_bytes"`
	RSSConns     uint64  `json:"server_rss_conns_bytes"`
	BytesPerConn float64 `json:"server_bytes_per_conn"`

	Expected         int64     `json:"deliveries_expected"`
	Received         int64     `json:"deliveries_received"`
	Lost             int64     `json:"deliveries_lost"`
	Dropped          int64     `json:"connections_dropped"`
	OfferedPerSec    float64   `json:"deliveries_offered_per_second"`
	PhaseSeconds     float64   `json:"fanout_seconds"`
	DeliveriesPerSec float64   `json:"deliveries_per_second"`
	Latency          latencies `json:"latency"`
	ServerCPUSeconds float64   `json:"server_cpu_seconds"`
	LoadCPUSeconds   float64   `json:"load_cpu_seconds"`
}

// machine is what the README quotes as "machine".
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

// fillFanout computes the fan-out figures; the readers must have stopped.
func (r *results) fillFanout(f *fleet, expected int64, start time.Time) {
	var all []int64
	var last int64
	for _, c := range f.clients {
		if c != nil {
			all = append(all, c.lat...)
			last = max(last, c.last)
		}
	}
	r.Expected, r.Received = expected, int64(len(all))
	r.Lost = max(expected-r.Received, 0)
	r.Dropped = f.dropped.Load()
	r.Latency = summarize(all)
	if last > 0 {
		// From the first send to the last delivery: the rate the room
		// sustained, not counting the wait for stragglers that never came.
		r.PhaseSeconds = time.Duration(last - start.UnixNano()).Seconds()
		r.DeliveriesPerSec = float64(r.Received) / r.PhaseSeconds
	}
}

func printJSON(w io.Writer, r *results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func printMarkdown(w io.Writer, r *results) {
	p := r.Params
	cpuShare := 0.0
	if r.PhaseSeconds > 0 {
		cpuShare = r.ServerCPUSeconds / r.PhaseSeconds * 100
	}
	rows := [][2]string{
		{"mode", r.Mode},
		{"connections", fmt.Sprintf("%d of %d connected in %.1f s (%d dialling at a time)", r.Connected, p.Conns, r.DialSeconds, p.Dialers)},
		{"rooms", fmt.Sprintf("%d (%s members each)", p.Rooms, roomSize(p))},
		{"messages", fmt.Sprintf("%d per room at %g/s per room, one sender per room", p.Msgs, p.Rate)},
		{"server RSS, 0 connections", mib(float64(r.RSSIdle))},
		{fmt.Sprintf("server RSS, %d connections", r.Connected), mib(float64(r.RSSConns))},
		{"**memory per connection**", "**" + kib(r.BytesPerConn) + "**"},
		{"offered load", fmt.Sprintf("%.0f deliveries/s (members × rate)", r.OfferedPerSec)},
		{"deliveries", fmt.Sprintf("%d of %d expected, %d lost, %d connections dropped", r.Received, r.Expected, r.Lost, r.Dropped)},
		{"**fan-out throughput**", fmt.Sprintf("**%.0f deliveries/s** (over %.2f s, first send to last delivery)", r.DeliveriesPerSec, r.PhaseSeconds)},
		{"**latency p50 / p90 / p99 / max**", fmt.Sprintf("**%.2f / %.2f / %.2f / %.2f ms**", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)},
		{"server CPU in fan-out", fmt.Sprintf("%.2f s (%.0f%% of one core)", r.ServerCPUSeconds, cpuShare)},
		{"load generator CPU in fan-out", fmt.Sprintf("%.2f s (same machine)", r.LoadCPUSeconds)},
	}
	fmt.Fprintln(w, "| | |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	m := r.Machine
	fmt.Fprintf(w, "\nmachine: %s %s, nproc %d, %s (load average %s at start)\n", m.GoVersion, m.Platform, m.CPUs, m.CPUModel, m.LoadAvg)
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/(1<<10)) }

// roomSize is "100", or "33–34" when the connections do not divide evenly.
func roomSize(p params) string {
	lo := p.Conns / p.Rooms
	if p.Conns%p.Rooms == 0 {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, lo+1)
}
