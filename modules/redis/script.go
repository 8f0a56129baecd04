package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"

	"github.com/redis/rueidis"
)

// Script flags (Redis 7.0+). Without a shebang Redis judges a script
// command by command, and refuses a command that may grow memory only
// before the script's first write. With a shebang Redis judges the script
// by its flags before running it, and refuses one that has neither
// no-writes nor allow-oom with an OOM error while over the limit.
const (
	Writes   = "#!lua\n"                 // refused while Redis is out of memory
	ReadOnly = "#!lua flags=no-writes\n" // runs out of memory and on replicas; Redis refuses writes in it
	Frees    = "#!lua flags=allow-oom\n" // runs out of memory: it only removes or rewrites
)

// Script pairs a rueidis script (EVALSHA with EVAL fallback for single
// calls) with its source and SHA-1 for hand-built pipelines.
type Script struct {
	*rueidis.Lua
	src, sha  string
	retryable bool
}

// NewScript puts the shebang, which must be the first line, before body.
func NewScript(shebang, body string) *Script {
	src := shebang + body
	sum := sha1.Sum([]byte(src))
	return &Script{Lua: rueidis.NewLuaScript(src), src: src, sha: hex.EncodeToString(sum[:])}
}

// Idempotent marks s as safe to run twice (it sets rather than adds), so
// its pipelined commands may be retried when the connection drops.
func (s *Script) Idempotent() *Script {
	s.retryable = true
	return s
}

// ExecMulti pipelines EVALSHA for every exec, one round trip in the usual
// case, and resends with EVAL only those a node did not know (NOSCRIPT).
// rueidis's ExecMulti would SCRIPT LOAD on every node each call first.
// The commands are retried on reconnects only for an Idempotent script.
func (s *Script) ExecMulti(ctx context.Context, c rueidis.Client, execs []rueidis.LuaExec) []rueidis.RedisResult {
	cmds := make(rueidis.Commands, len(execs))
	for i, x := range execs {
		cmds[i] = c.B().Evalsha().Sha1(s.sha).Numkeys(int64(len(x.Keys))).Key(x.Keys...).Arg(x.Args...).Build()
	}
	if s.retryable {
		for i := range cmds {
			cmds[i] = cmds[i].ToRetryable()
		}
	}
	res := c.DoMulti(ctx, cmds...)
	var again []int
	for i, r := range res {
		if err, ok := rueidis.IsRedisErr(r.Error()); ok && err.IsNoScript() {
			again = append(again, i)
		}
	}
	if len(again) == 0 {
		return res
	}
	cmds = cmds[:0]
	for _, i := range again {
		x := execs[i]
		cmds = append(cmds, c.B().Eval().Script(s.src).Numkeys(int64(len(x.Keys))).Key(x.Keys...).Arg(x.Args...).Build())
	}
	if s.retryable {
		for i := range cmds {
			cmds[i] = cmds[i].ToRetryable()
		}
	}
	for j, r := range c.DoMulti(ctx, cmds...) {
		res[again[j]] = r
	}
	return res
}
