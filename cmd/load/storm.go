package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rtserver/rt/cmd/internal/mdtable"
)

const (
	// stormQuiet is how long no client may read a frame before the storm
	// counts as over. It is longer than the server's wait for a close reply
	// (1 s), after which a client it closed leaves and is announced.
	stormQuiet = 3 * time.Second
	finalMax   = 20 * time.Second // bound on the answers to the final presence.list
)

// stormFigures is what the storm measured.
type stormFigures struct {
	Clients          int            `json:"clients"`
	Connected        int            `json:"connected"`
	DialFailures     map[string]int `json:"dial_failures"`
	JoinSeconds      float64        `json:"join_seconds"`   // first dial to last upgrade
	SettleSeconds    float64        `json:"settle_seconds"` // first dial to the last frame of the storm
	Settled          bool           `json:"settled"`        // no frame for quietFor before quietMax
	ClosedByServer   map[string]int `json:"closed_by_server"`
	PresenceFrames   int64          `json:"presence_frames"` // presence.join/leave/diff read, all clients
	PresenceUsers    int64          `json:"presence_users"`  // users named in them
	FramesPerClient  float64        `json:"presence_frames_per_client"`
	UsersPerClient   float64        `json:"presence_users_per_client"`
	Listed           int            `json:"first_list_answered"` // clients whose first presence.list was answered
	Asked            int            `json:"final_list_asked"`
	Answered         int            `json:"final_list_answered"`
	Correct          int            `json:"presence_correct"`          // tracked set equal to the final answer
	Extra            int            `json:"presence_extra"`            // over the wrong sets: users in the set, not in the answer
	Missing          int            `json:"presence_missing"`          // users in the answer, not in the set
	Disagree         int            `json:"answers_not_the_connected"` // answers that do not list exactly the clients still connected
	ServerCPUSeconds float64        `json:"server_cpu_seconds"`
}

// runStorm has s.Conns clients join over s.Spread, each reading one frame
// per s.ReadDelay. Each asks presence.list right after its upgrade and
// applies every presence frame after it; once the storm is over, each
// asks again and compares the answer with its own set. Its clients are the
// raw fleet (clients.go says why): slow readers on purpose, and every
// presence frame seen as read.
func runStorm(ctx context.Context, e *env, s settings) (*row, error) {
	srv, err := startServer(ctx, e.bin, e.opts(nil))
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	f, err := newFleet(fleetConfig{ports: []int{srv.port}, conns: s.Conns, rooms: s.Rooms, prefix: "storm." + e.runID,
		readDelay: s.ReadDelay, listFirst: true})
	if err != nil {
		return nil, err
	}
	defer f.close()
	fig := &stormFigures{Clients: s.Conns}
	cpu0, err := srv.cpuTime()
	if err != nil {
		return nil, err
	}
	logf("storm: %d clients join %d room(s) over %s, reading one frame per %s", s.Conns, s.Rooms, s.Spread, s.ReadDelay)
	start := time.Now()
	f.dialSpread(ctx, s.Spread)
	fig.Connected = f.connected()
	fig.DialFailures = f.failsSnapshot()
	var lastUp int64
	for _, c := range f.clients {
		lastUp = max(lastUp, c.upAt)
	}
	if lastUp > 0 {
		fig.JoinSeconds = time.Duration(lastUp - start.UnixNano()).Seconds()
	}
	logf("storm: %d connected in %.2fs; waiting for the first answers and for quiet", fig.Connected, fig.JoinSeconds)
	waitUntil(ctx, time.Now().Add(joinMax), func() bool {
		return f.states.Load()+f.dropped.Load() >= int64(fig.Connected)
	})
	fig.Settled = f.waitQuiet(ctx, stormQuiet, quietMax)
	fig.SettleSeconds = time.Duration(f.lastFrame.Load() - start.UnixNano()).Seconds()
	fig.PresenceFrames, fig.PresenceUsers = f.presFrames.Load(), f.presUsers.Load()
	cpu1, err := srv.cpuTime()
	if err != nil {
		return nil, err
	}
	fig.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fig.Asked = f.askFinal()
	logf("storm: settled %.2fs after the first dial; asked %d clients for a final presence.list", fig.SettleSeconds, fig.Asked)
	waitUntil(ctx, time.Now().Add(finalMax), func() bool {
		return f.finals.Load()+f.dropped.Load() >= int64(fig.Connected)
	})
	f.close()
	fig.ClosedByServer = f.endsSnapshot()
	fig.judge(f)
	if fig.Connected > 0 {
		fig.FramesPerClient = float64(fig.PresenceFrames) / float64(fig.Connected)
		fig.UsersPerClient = float64(fig.PresenceUsers) / float64(fig.Connected)
	}
	return fig.row(s), nil
}

// judge counts the clients whose set matched their final answer, and
// checks every answer against the clients still connected at the end.
// The readers must have stopped.
func (fig *stormFigures) judge(f *fleet) {
	open := map[*room][]string{}
	for _, c := range f.clients {
		if c.ws != nil && c.ended == "" {
			open[c.room] = append(open[c.room], c.user)
		}
	}
	for _, users := range open {
		slices.Sort(users)
	}
	for _, c := range f.clients {
		if c.ws == nil {
			continue
		}
		if c.states > 0 {
			fig.Listed++
		}
		if c.ended != "" {
			continue
		}
		if !c.final {
			continue
		}
		fig.Answered++
		if c.finalOK {
			fig.Correct++
		}
		fig.Extra += c.extra
		fig.Missing += c.missing
		got := slices.Sorted(slices.Values(c.finalIn))
		if !slices.Equal(got, open[c.room]) {
			fig.Disagree++
		}
	}
}

func (fig *stormFigures) row(s settings) *row {
	closed := sum(fig.ClosedByServer)
	failed := sum(fig.DialFailures)
	open := fig.Connected - closed
	room := "1 room"
	if s.Rooms > 1 {
		room = fmt.Sprintf("%d rooms", s.Rooms)
	}
	health := fmt.Sprintf("closed by server: %d", closed)
	if closed > 0 {
		health += " (" + mdtable.Counts(fig.ClosedByServer) + ")"
	}
	if failed > 0 {
		health += fmt.Sprintf("; %d dials failed (%s)", failed, mdtable.Counts(fig.DialFailures))
	}
	health += fmt.Sprintf("; presence right at **%d of %d** clients", fig.Correct, open)
	if fig.Extra+fig.Missing > 0 {
		health += fmt.Sprintf(" (wrong sets: %d users too many, %d missing, in all)", fig.Extra, fig.Missing)
	}
	if n := open - fig.Answered; n > 0 {
		health += fmt.Sprintf("; %d final presence.list unanswered", n)
	}
	if fig.Disagree > 0 {
		health += fmt.Sprintf("; %d final answers do not list exactly the connected clients", fig.Disagree)
	}
	if !fig.Settled {
		health += fmt.Sprintf("; not quiet within %s", quietMax)
	}
	r := &row{
		Setup: fmt.Sprintf("%d clients join %s over %s (one dial each), each reading 1 frame per %s", s.Conns, room, s.Spread, s.ReadDelay),
		Result: fmt.Sprintf("**%.1f presence frames per client** (%s in all), %.1f users named per client",
			fig.FramesPerClient, thousands(float64(fig.PresenceFrames)), fig.UsersPerClient),
		Latency:   fmt.Sprintf("joins over %.2f s, settled at %.2f s", fig.JoinSeconds, fig.SettleSeconds),
		ServerCPU: cpuCell(fig.ServerCPUSeconds, fig.SettleSeconds),
		Health:    health,
		Figures:   fig,
	}
	r.details = [][2]string{
		{"clients", fmt.Sprintf("%d of %d connected, upgrades over %.2f s; dial failures: %s", fig.Connected, fig.Clients, fig.JoinSeconds, mdtable.Counts(fig.DialFailures))},
		{"slow reading", fmt.Sprintf("every client pauses %s after each frame it reads", s.ReadDelay)},
		{"**closed by the server**", fmt.Sprintf("**%d** (%s)", closed, mdtable.Counts(fig.ClosedByServer))},
		{"**presence frames**", fmt.Sprintf("**%s** in all: %.1f per client (a frame per join to every member makes about N/2 = %.0f; coalesced, far fewer)", thousands(float64(fig.PresenceFrames)), fig.FramesPerClient, float64(fig.Connected)/2)},
		{"users named in presence frames", fmt.Sprintf("%s in all, %.1f per client", thousands(float64(fig.PresenceUsers)), fig.UsersPerClient)},
		{"storm settled", fmt.Sprintf("%.2f s after the first dial (the last frame read; quiet for %s after it: %v)", fig.SettleSeconds, stormQuiet, fig.Settled)},
		{"first presence.list answered", fmt.Sprintf("%d of %d clients", fig.Listed, fig.Connected)},
		{"**presence right**", fmt.Sprintf("**%d of %d** clients still connected: the set built from the first answer and every presence frame after it equals the final presence.list answer (%d asked, %d answered; wrong sets hold %d users too many and miss %d, in all)", fig.Correct, open, fig.Asked, fig.Answered, fig.Extra, fig.Missing)},
		{"final answers", fmt.Sprintf("%d of %d do not list exactly the clients still connected", fig.Disagree, fig.Answered)},
		{"server CPU in the storm", cpuCell(fig.ServerCPUSeconds, fig.SettleSeconds)},
	}
	return r
}
