package main

import (
	"context"
	"strconv"
	"time"

	"github.com/rtserver/rt/cmd/internal/proc"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// The node machinery (build, pinned environment, start, stop, loopback
// dialing) is shared with cmd/chaos in cmd/internal/rtnode, the /proc
// readings with cmd/attack in cmd/internal/proc; these names
// keep the scenarios' code as it reads.
const (
	loopback  = rtnode.Loopback
	jwtSecret = rtnode.JWTSecret
	origin    = rtnode.Origin
)

var (
	dialLoopback   = rtnode.DialLoopback
	checkRedisURL  = rtnode.CheckRedisURL
	modeName       = rtnode.ModeName
	moduleRoot     = rtnode.ModuleRoot
	token          = rtnode.Token
	childAttr      = rtnode.ChildAttr
	sleep          = rtnode.Sleep
	rssBytes       = proc.RSS
	processCPUTime = proc.CPUTime
	pinSelf        = proc.PinSelf
)

// server is the rt child process under test.
type server struct {
	*rtnode.Node
	port int
}

// serverOpts is how one server of a scenario runs.
type serverOpts struct {
	redisURL string
	env      map[string]string // on top of the pinned settings
	pin      pinning
}

// fanoutLimits lifts the per-client flood guard for scenarios whose senders
// publish faster than a person types: they measure the fan-out, not the
// guard. perSecond is the most one sender is asked to send.
func fanoutLimits(perSecond float64) map[string]string {
	n := strconv.Itoa(max(1000, int(perSecond*2)))
	return map[string]string{"RATE_LIMIT": n, "RATE_BURST": n}
}

// build compiles rt from the module root into dir.
func build(ctx context.Context, dir string) (string, error) {
	return rtnode.Build(ctx, dir, logf)
}

// startServer starts the binary bin on a free loopback port, returning
// once /readyz answers 200.
func startServer(ctx context.Context, bin string, o serverOpts) (*server, error) {
	n, err := rtnode.Start(ctx, bin, rtnode.Options{
		RedisURL: o.redisURL, Env: o.env, ExtraEnv: o.pin.env(),
		Command: o.pin.command, Name: "server", Logf: logf,
	})
	if err != nil {
		return nil, err
	}
	return &server{Node: n, port: n.Port}, nil
}

func (s *server) stop()                           { s.Stop() }
func (s *server) rss() (uint64, error)            { return rssBytes(s.Pid()) }
func (s *server) cpuTime() (time.Duration, error) { return processCPUTime(s.Pid()) }
