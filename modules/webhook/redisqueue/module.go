package redisqueue

import (
	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/webhook"
)

// Module provides the webhook.Queue of redis mode, on the redis module's
// client: nil while WEBHOOK_URL is unset, so no key is made. It needs the
// redis module, whose client is open when it is built.
var Module = fx.Module("webhook.redis", fx.Provide(provide))

// provide makes the group at start. The queue is built before the
// webhook's Delivery (which needs it) and after the client, so fx stops
// it after the Delivery flushed into it and before the client closes.
func provide(lc fx.Lifecycle, c rueidis.Client, cfg config.Config, stats *redis.Stats) webhook.Queue {
	if cfg.WebhookURL == "" {
		return nil
	}
	timeout, _, backlog := cfg.HookLimits()
	q := New(c, Settings{Bound: backlog, ClaimAfter: webhook.ClaimAfter(timeout)}, stats)
	lc.Append(fx.StartStopHook(q.Start, q.Stop))
	return q
}
