package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// kind is one sort of fault.
type kind string

const (
	pubsubKill kind = "pubsub-kill" // CLIENT KILL TYPE pubsub: every node's Pub/Sub link drops at once
	cut        kind = "cut"         // some clients' TCP connections closed abruptly; they come back with since
	nodeStop   kind = "node-stop"   // SIGTERM to a node; its clients reconnect to the other with since
	nodeStart  kind = "node-start"  // the stopped node comes back on its old port
	nodeReturn kind = "node-return" // the restarted node's own clients are cut and come home with since
	// -cluster only:
	slotMove   kind = "slot-move"   // a chaos room's slot moved, with its keys, to another master
	masterKill kind = "master-kill" // SIGKILL to the master of a chaos room; its replica takes over
)

// fault is one planned event, at an offset from the start of the chat.
type fault struct {
	At      time.Duration `json:"at"`
	Kind    kind          `json:"kind"`
	Node    int           `json:"node,omitempty"`    // node-stop, node-start, node-return: 0-based
	Clients []int         `json:"clients,omitempty"` // cut: indexes into the run's clients
	Pause   time.Duration `json:"pause,omitempty"`   // cut, node-return: how long a cut client waits before it redials
	Room    int           `json:"room,omitempty"`    // slot-move, master-kill: the room whose slot, or master, it is
	Pick    int           `json:"pick,omitempty"`    // slot-move: which of the other masters gets the slot
}

func (f fault) String() string {
	switch f.Kind {
	case cut:
		return fmt.Sprintf("%s of %d client(s), back after %s", f.Kind, len(f.Clients), f.Pause)
	case nodeStop, nodeStart:
		return fmt.Sprintf("%s node %d", f.Kind, f.Node+1)
	case nodeReturn:
		return fmt.Sprintf("%s to node %d, back after %s", f.Kind, f.Node+1, f.Pause)
	case slotMove:
		return fmt.Sprintf("%s of room %d's slot to another master", f.Kind, f.Room)
	case masterKill:
		return fmt.Sprintf("%s of room %d's master, then its replica's promotion awaited", f.Kind, f.Room)
	}
	return string(f.Kind)
}

// The faults fall between faultsFrom and faultsTo of the chat's duration:
// before, every client has settled into the room; after, reconnects have
// time to finish and the room runs calm before the senders stop, so a loss
// shows as a loss and not as a message still on its way.
const (
	faultsFrom = 0.15
	faultsTo   = 0.75
)

// plan is the fault schedule of a run: the same seed, duration and client
// count give the same schedule, so a failing run can be repeated. It has
// every kind of fault: a few Pub/Sub kills, cuts of one to three clients,
// and one node stopped, restarted and given its clients back.
func plan(seed int64, d time.Duration, clients, nodes int) []fault {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>32|0x9e3779b9))
	from, to := frac(d, faultsFrom), frac(d, faultsTo)
	at := func(lo, hi time.Duration) time.Duration {
		return (lo + time.Duration(rng.Int64N(int64(hi-lo)+1))).Truncate(time.Millisecond)
	}
	var fs []fault

	// Pub/Sub kills evenly over the window, each jittered within its slot.
	kills := clampInt(int(d/(15*time.Second)), 2, 8)
	slot := (to - from) / time.Duration(kills)
	for i := range kills {
		lo := from + slot*time.Duration(i)
		fs = append(fs, fault{At: at(lo, lo+slot-1), Kind: pubsubKill})
	}

	// One node down for a while, then back, then its clients home again.
	if nodes > 1 {
		n := rng.IntN(nodes)
		stop := at(frac(d, 0.30), frac(d, 0.38))
		start := stop + at(frac(d, 0.12), frac(d, 0.18))
		fs = append(fs,
			fault{At: stop, Kind: nodeStop, Node: n},
			fault{At: start, Kind: nodeStart, Node: n},
			fault{At: start + frac(d, 0.08), Kind: nodeReturn, Node: n, Pause: pause(rng)})
	}

	// Cuts of a few random clients anywhere in the window.
	cuts := clampInt(int(d/(6*time.Second)), 2, 20)
	for range cuts {
		k := min(1+rng.IntN(3), clients)
		fs = append(fs, fault{At: at(from, to), Kind: cut, Clients: rng.Perm(clients)[:k], Pause: pause(rng)})
	}
	slices.SortStableFunc(fs, func(a, b fault) int { return int(a.At - b.At) })
	return fs
}

// pause is how long a cut client stays away: long enough at a few messages
// a second that the room moves on without it, so its recovery has work.
func pause(rng *rand.Rand) time.Duration {
	return time.Duration(100+rng.IntN(900)) * time.Millisecond
}

func frac(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// planCluster is the faults a -cluster run adds to plan's: the master of a
// chaos room killed early in the window, while its clients chat on, and
// later one chaos room's slot moved to another master. The same seed gives
// the same schedule; which master it is depends on the cluster's layout.
func planCluster(seed int64, d time.Duration, rooms int) []fault {
	rng := rand.New(rand.NewPCG(uint64(seed)^0x5bd1e995, uint64(seed)>>32|0x27d4eb2f))
	at := func(lo, hi float64) time.Duration {
		a, b := frac(d, lo), frac(d, hi)
		return (a + time.Duration(rng.Int64N(int64(b-a)+1))).Truncate(time.Millisecond)
	}
	return []fault{
		// Early, so that the failover (the node timeout of 2 s, then the
		// election) is over well before the senders stop. A node-start or
		// slot-move due meanwhile waits for it: rt refuses to start on a
		// cluster that is not cluster_state:ok, and a slot moves between
		// masters every node agrees on.
		{At: at(0.16, 0.22), Kind: masterKill, Room: rng.IntN(rooms)},
		{At: at(0.60, 0.68), Kind: slotMove, Room: rng.IntN(rooms), Pick: rng.IntN(2)},
	}
}

// withCluster merges the cluster's faults into a schedule, in time order.
func withCluster(fs, more []fault) []fault {
	fs = append(fs, more...)
	slices.SortStableFunc(fs, func(a, b fault) int { return int(a.At - b.At) })
	return fs
}
