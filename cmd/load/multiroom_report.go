package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

// multiroomFigures is what the multiroom scenario measured.
type multiroomFigures struct {
	Limits map[string]string `json:"server_settings_raised,omitempty"` // beyond the defaults, when the settings need it

	// Joining.
	Connected          int            `json:"connected"`
	Joined             int            `json:"joined_all_rooms"` // sockets whose every join was answered room.joined
	DialFailures       map[string]int `json:"dial_failures"`
	JoinRefusals       map[string]int `json:"join_refusals"` // joins answered with an error, by code
	JoinSeconds        float64        `json:"join_seconds"`  // first dial to the last socket's last Join returned
	SocketsPerSec      float64        `json:"sockets_joined_per_second"`
	JoinLatency        latencies      `json:"join_burst"`               // one socket: Connect returned (its joins sent) to its last Join returned
	JoinBytes          int64          `json:"bytes_read_while_joining"` // what the server sent, all sockets, to the quiet after the joins
	JoinCPUSeconds     float64        `json:"join_server_cpu_seconds"`
	CPUPerSocket       float64        `json:"join_server_cpu_us_per_socket"`
	JoinLoadCPUSeconds float64        `json:"join_load_cpu_seconds"`
	RSSIdle            uint64         `json:"server_rss_idle_bytes"`
	RSSJoined          uint64         `json:"server_rss_joined_bytes"`
	BytesPerSocket     float64        `json:"server_bytes_per_socket"`

	// Messages.
	Sent             int64          `json:"messages_sent"`
	Acked            int64          `json:"messages_acked"`   // Publish returned an ack
	Refused          int64          `json:"messages_refused"` // Publish returned an error
	tally                           // the delivery accounting
	Stray            int64          `json:"deliveries_stray"`              // of a room the socket did not join, or unreadable
	LibDropped       int64          `json:"deliveries_dropped_by_library"` // repeats the client library dropped (its Stats().Duplicates)
	PhaseSeconds     float64        `json:"message_seconds"`               // first send to the last delivery
	DeliveriesPerSec float64        `json:"deliveries_per_second"`
	PerCPUSecond     float64        `json:"deliveries_per_server_cpu_second"`
	Latency          latencies      `json:"latency"`
	ServerCPUSeconds float64        `json:"server_cpu_seconds"`
	LoadCPUSeconds   float64        `json:"load_cpu_seconds"`
	LoadCPUs         int            `json:"load_cpus"`
	ClosedByServer   map[string]int `json:"closed_by_server"`
	Errors           map[string]int `json:"system_errors"` // every error the library reported (OnError) or a Publish returned, by code
}

// health is the table cell: what did not go as it should, or that
// nothing did.
func (fig *multiroomFigures) health(s settings) string {
	parts := []string{fmt.Sprintf("%d of %d sockets joined all %d rooms", fig.Joined, s.Conns, s.RoomsPerConn)}
	if n := sum(fig.DialFailures); n > 0 {
		parts = append(parts, fmt.Sprintf("%d dials failed (%s)", n, mdtable.Counts(fig.DialFailures)))
	}
	if n := sum(fig.JoinRefusals); n > 0 {
		parts = append(parts, fmt.Sprintf("%d joins refused (%s)", n, mdtable.Counts(fig.JoinRefusals)))
	}
	if fig.Sent > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d deliveries, **%d missing**", fig.Received, fig.Expected, fig.Missing))
		if fig.Extra+fig.Late+fig.Stray+fig.LibDropped > 0 {
			parts = append(parts, fmt.Sprintf("%d extra, %d repeated or out of order, %d stray, %d repeats dropped by the library", fig.Extra, fig.Late, fig.Stray, fig.LibDropped))
		}
		if fig.Refused > 0 || fig.Acked != fig.Sent-fig.Refused {
			parts = append(parts, fmt.Sprintf("%d of %d messages acked, %d refused", fig.Acked, fig.Sent, fig.Refused))
		}
	}
	closed := sum(fig.ClosedByServer)
	parts = append(parts, fmt.Sprintf("%d closed by server", closed))
	if closed > 0 {
		parts[len(parts)-1] += " (" + mdtable.Counts(fig.ClosedByServer) + ")"
	}
	return strings.Join(parts, "; ")
}

// limitsNote names the server settings the run raised, or says it ran on
// the defaults.
func (fig *multiroomFigures) limitsNote() string {
	if len(fig.Limits) == 0 {
		return fmt.Sprintf("the defaults: RATE_LIMIT %d/s and RATE_BURST %d per socket, MAX_ROOMS_PER_CONN %d; one user per socket (MAX_CONNS_PER_USER); HANDSHAKE_RATE off, as in every scenario",
			defaultRateLimit, defaultRateBurst, defaultRoomsPerCon)
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(fig.Limits)) {
		kv = append(kv, k+"="+fig.Limits[k])
	}
	return "raised for these settings: " + strings.Join(kv, ", ")
}

func (fig *multiroomFigures) row(s settings) *row {
	size := roomSize(s.Conns*s.RoomsPerConn, s.Rooms)
	r := &row{
		Setup: fmt.Sprintf("%d sockets × %d rooms of %d (%s members each), joined in one burst per socket, %d at a time; %g msg/s across the rooms for %s",
			s.Conns, s.RoomsPerConn, s.Rooms, size, s.Dialers, s.TotalRate, s.Duration),
		Result: fmt.Sprintf("**%s sockets/s joined** (all %d rooms), %s per socket; **%s deliveries per server CPU-second** (%s deliveries/s)",
			thousands(fig.SocketsPerSec), s.RoomsPerConn, mdtable.KiB(fig.BytesPerSocket), thousands(fig.PerCPUSecond), thousands(fig.DeliveriesPerSec)),
		Latency: fmt.Sprintf("delivery p50 %.2f / p99 %.2f ms; join burst p50 %.2f / p99 %.2f ms",
			fig.Latency.P50, fig.Latency.P99, fig.JoinLatency.P50, fig.JoinLatency.P99),
		ServerCPU: fmt.Sprintf("joining %s, %.0f µs per socket; messages %s; load generator %s",
			cpuCell(fig.JoinCPUSeconds, fig.JoinSeconds), fig.CPUPerSocket, cpuCell(fig.ServerCPUSeconds, fig.PhaseSeconds),
			share(fig.LoadCPUSeconds, fig.PhaseSeconds, fig.LoadCPUs)),
		Health:  fig.health(s),
		Figures: fig,
		rate:    fig.DeliveriesPerSec,
	}
	r.details = [][2]string{
		{"sockets", fmt.Sprintf("%d of %d connected to /ws (no room), %d dialling at a time; dial failures: %s", fig.Connected, s.Conns, s.Dialers, mdtable.Counts(fig.DialFailures))},
		{"clients", "the Go client library (package client), one per socket: Connect, Join per room, Publish with acks, OnMessage; NoPresence (no presence.list, presence frames skipped unread)"},
		{"rooms", fmt.Sprintf("each socket joins %d of %d rooms, its Joins called before Connect (the library sends the room.join frames back to back as the socket opens): %s members per room", s.RoomsPerConn, s.Rooms, size)},
		{"server limits", fig.limitsNote()},
		{"**sockets/s joined**", fmt.Sprintf("**%s** (%d sockets whose every Join returned joined, first dial to the last, %.2f s): %s room joins/s", thousands(fig.SocketsPerSec), fig.Joined, fig.JoinSeconds, thousands(fig.SocketsPerSec*float64(s.RoomsPerConn)))},
		{"join burst p50 / p90 / p99 / max", fmt.Sprintf("%.2f / %.2f / %.2f / %.2f ms (Connect returned, the joins sent, to the last Join returned)", fig.JoinLatency.P50, fig.JoinLatency.P90, fig.JoinLatency.P99, fig.JoinLatency.Max)},
		{"joins refused", mdtable.Counts(fig.JoinRefusals)},
		{"bytes the server sent while joining", fmt.Sprintf("%s (%s per socket: room.joined and presence changes, mostly)", mdtable.MiB(float64(fig.JoinBytes)), mdtable.KiB(perSocket(fig.JoinBytes, fig.Joined)))},
		{"server CPU joining", cpuCell(fig.JoinCPUSeconds, fig.JoinSeconds) + fmt.Sprintf(", %.0f µs per socket; load generator %.2f s (%s)", fig.CPUPerSocket, fig.JoinLoadCPUSeconds, share(fig.JoinLoadCPUSeconds, fig.JoinSeconds, fig.LoadCPUs))},
		{"server RSS, 0 sockets", mdtable.MiB(float64(fig.RSSIdle))},
		{fmt.Sprintf("server RSS, %d sockets in %d rooms each", fig.Joined, s.RoomsPerConn), mdtable.MiB(float64(fig.RSSJoined))},
		{"**memory per socket**", fmt.Sprintf("**%s** (%s per room joined)", mdtable.KiB(fig.BytesPerSocket), mdtable.KiB(fig.BytesPerSocket/float64(s.RoomsPerConn)))},
		{"messages", fmt.Sprintf("%d sent at %g/s across %d rooms (%.3g/s per room, one sender each), %d acked, %d refused", fig.Sent, s.TotalRate, s.Rooms, s.TotalRate/float64(s.Rooms), fig.Acked, fig.Refused)},
		{"**deliveries**", fmt.Sprintf("**%d of %d expected, %d missing** (%d sockets short); %d extra, %d repeated or out of order, %d stray; %d repeats dropped by the library", fig.Received, fig.Expected, fig.Missing, fig.Short, fig.Extra, fig.Late, fig.Stray, fig.LibDropped)},
		{"closed by the server; errors", fmt.Sprintf("%s; %s", mdtable.Counts(fig.ClosedByServer), mdtable.Counts(fig.Errors))},
		{"delivery throughput", fmt.Sprintf("%s deliveries/s (over %.2f s, first send to last delivery)", thousands(fig.DeliveriesPerSec), fig.PhaseSeconds)},
		{"**latency p50 / p90 / p99 / max**", fmt.Sprintf("**%.2f / %.2f / %.2f / %.2f ms**", fig.Latency.P50, fig.Latency.P90, fig.Latency.P99, fig.Latency.Max)},
		{"**server CPU in the message phase**", cpuCell(fig.ServerCPUSeconds, fig.PhaseSeconds) + fmt.Sprintf(", **%s deliveries per CPU-second**", thousands(fig.PerCPUSecond))},
		{"load generator CPU in the message phase", fmt.Sprintf("%.2f s (%s)", fig.LoadCPUSeconds, share(fig.LoadCPUSeconds, fig.PhaseSeconds, fig.LoadCPUs))},
	}
	return r
}

func perSocket(n int64, sockets int) float64 {
	if sockets == 0 {
		return 0
	}
	return float64(n) / float64(sockets)
}
