package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// faultRunner carries out a schedule against the running nodes and
// clients, and logs every fault as it happens, with its offset from the
// start of the chat.
type faultRunner struct {
	start   time.Time
	cluster *cluster
	ctl     pubsubKiller
	clients []*chatClient
	rc      *redisCluster // -cluster only
	rooms   []string

	mu      sync.Mutex
	events  []event
	errs    []string              // faults that could not be carried out
	stopped map[int]chan struct{} // closed once node-stop of a node is done
	started map[int]chan struct{} // closed once node-start of a node is done
	bg      sync.WaitGroup        // node stops and starts, which take a while
	losses  []lossWindow          // where Redis itself may have lost acknowledged writes
	// failover is closed once a killed master's replica has taken over
	// (or the wait for it gave up); nil before any master-kill.
	failover chan struct{}
}

// lossWindow is a master killed: the writes its rooms' clients saw live
// from shortly before the kill to the replica's promotion may be missing
// from history, lost by Redis (the master acknowledged them and died
// before its replica had them).
type lossWindow struct {
	Rooms    []string
	From, To time.Time
}

// lossBefore is how long before a master's kill a write it acknowledged
// may still not have reached its replica: replication is asynchronous but
// on loopback takes well under this.
const lossBefore = 2 * time.Second

func newFaultRunner(start time.Time, c *cluster, ctl pubsubKiller, clients []*chatClient, rc *redisCluster, rooms []string) *faultRunner {
	return &faultRunner{start: start, cluster: c, ctl: ctl, clients: clients, rc: rc, rooms: rooms,
		stopped: map[int]chan struct{}{}, started: map[int]chan struct{}{}}
}

// run carries out each fault at its time until ctx ends; node stops and
// starts go on in the background (wait waits for them).
func (f *faultRunner) run(ctx context.Context, schedule []fault) {
	for _, ft := range schedule {
		if rtnode.Sleep(ctx, time.Until(f.start.Add(ft.At))) != nil {
			return
		}
		f.do(ctx, ft)
	}
}

func (f *faultRunner) wait() { f.bg.Wait() }

func (f *faultRunner) do(ctx context.Context, ft fault) {
	switch ft.Kind {
	case pubsubKill:
		what, err := f.ctl.killPubSub(ctx)
		if err != nil {
			f.fail("pubsub-kill: %v", err)
			return
		}
		f.note("pubsub-kill", "%s", what)

	case slotMove:
		f.awaitFailover()
		room := f.rooms[ft.Room%len(f.rooms)]
		what, err := f.rc.moveSlot(room, ft.Pick)
		if err != nil {
			f.fail("slot-move: %v", err)
			return
		}
		f.note("slot-move "+room, "%s", what)

	case masterKill:
		room := f.rooms[ft.Room%len(f.rooms)]
		victim, slot, err := f.rc.masterOf(room)
		if err != nil {
			f.fail("master-kill: the master of %s: %v", room, err)
			return
		}
		on := f.rc.roomsOn(victim, f.rooms)
		done := make(chan struct{})
		f.mu.Lock()
		f.failover = done
		f.mu.Unlock()
		killed := time.Now()
		f.rc.c.Kill(victim)
		f.note("master-kill "+victim.Addr(), "SIGKILL to master %s (slot %d of %s; it served rooms %s); waiting up to %s for its replica's promotion while the chat goes on",
			victim.Addr(), slot, room, strings.Join(on, ","), failoverMax)
		f.bg.Go(func() {
			defer close(done)
			promoted, err := f.rc.c.AwaitFailover(victim, failoverMax)
			now := time.Now()
			f.mu.Lock()
			f.losses = append(f.losses, lossWindow{Rooms: on, From: killed.Add(-lossBefore), To: now})
			f.mu.Unlock()
			if err != nil {
				f.fail("master-kill %s: %v", victim.Addr(), err)
				return
			}
			f.note("failover to "+promoted.Addr(), "replica %s serves %v in place of %s, %s after the kill",
				promoted.Addr(), promoted.Slots, victim.Addr(), now.Sub(killed).Round(time.Millisecond))
		})

	case cut:
		var done []string
		for _, i := range ft.Clients {
			c := f.clients[i]
			if node, since, ok := c.cut(ft.Pause); ok {
				done = append(done, fmt.Sprintf("%s (node %d, will ask since=%s)", c.rec.Name, node+1, orNone(since)))
			} else {
				done = append(done, c.rec.Name+" (not connected just then: left alone)")
			}
		}
		f.note("cut "+names(f.clients, ft.Clients), "%s; back after %s", strings.Join(done, ", "), ft.Pause)

	case nodeStop:
		stopped := make(chan struct{})
		f.mu.Lock()
		f.stopped[ft.Node] = stopped
		f.mu.Unlock()
		f.note(fmt.Sprintf("node-stop node %d", ft.Node+1), "SIGTERM to node %d (pid %d); its clients reconnect to another node with since", ft.Node+1, f.cluster.pid(ft.Node))
		f.bg.Go(func() {
			defer close(stopped)
			pid := f.cluster.stop(ft.Node)
			f.note(fmt.Sprintf("node %d down", ft.Node+1), "node %d (pid %d) has exited", ft.Node+1, pid)
		})

	case nodeStart:
		started := make(chan struct{})
		f.mu.Lock()
		stopped := f.stopped[ft.Node]
		f.started[ft.Node] = started
		f.mu.Unlock()
		f.bg.Go(func() {
			defer close(started)
			if stopped != nil {
				<-stopped // a restart needs the port back
			}
			f.awaitFailover() // rt does not start on a cluster that is not ok
			if err := f.cluster.start(context.WithoutCancel(ctx), ft.Node); err != nil {
				f.fail("node-start node %d: %v", ft.Node+1, err)
				return
			}
			f.note(fmt.Sprintf("node-start node %d", ft.Node+1), "node %d ready again (pid %d), same port", ft.Node+1, f.cluster.pid(ft.Node))
		})

	case nodeReturn:
		f.mu.Lock()
		started := f.started[ft.Node]
		f.mu.Unlock()
		f.bg.Go(func() {
			if started != nil {
				<-started // at its time, or once the node is ready if later
			}
			if !f.cluster.isUp(ft.Node) {
				f.fail("node-return node %d: the node is not up", ft.Node+1)
				return
			}
			var moved []int
			for i, c := range f.clients {
				if c.home == ft.Node && !c.onNode(ft.Node) {
					if _, _, ok := c.cut(ft.Pause); ok {
						moved = append(moved, i)
					}
				}
			}
			f.note(fmt.Sprintf("node-return node %d", ft.Node+1), "TCP reset of %d client(s) whose home is node %d (%s); back home after %s with since",
				len(moved), ft.Node+1, names(f.clients, moved), ft.Pause)
		})
	}
}

// note records and logs one fault as carried out; what is the short name
// the checker quotes next to a loss, detail the log's explanation.
func (f *faultRunner) note(what, detail string, args ...any) {
	now := time.Now()
	off := now.Sub(f.start)
	e := event{At: now, Off: off, Secs: off.Round(time.Millisecond).Seconds(), What: what}
	f.mu.Lock()
	f.events = append(f.events, e)
	f.mu.Unlock()
	logf("%s %s: %s", fmtOff(e.Off), what, fmt.Sprintf(detail, args...))
}

func (f *faultRunner) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.mu.Lock()
	f.errs = append(f.errs, msg)
	f.mu.Unlock()
	logf("%s FAULT NOT CARRIED OUT: %s", fmtOff(time.Since(f.start)), msg)
}

// log is the events and errors so far, in time order.
func (f *faultRunner) log() ([]event, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]event(nil), f.events...), append([]string(nil), f.errs...)
}

// awaitFailover returns once no failover is under way.
func (f *faultRunner) awaitFailover() {
	f.mu.Lock()
	done := f.failover
	f.mu.Unlock()
	if done != nil {
		<-done
	}
}

// lossWindows is the masters killed so far, as windows of possible loss.
func (f *faultRunner) lossWindows() []lossWindow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]lossWindow(nil), f.losses...)
}

func names(clients []*chatClient, idx []int) string {
	var out []string
	for _, i := range idx {
		out = append(out, clients[i].rec.Name)
	}
	return strings.Join(out, ",")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
