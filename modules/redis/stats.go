package redis

import "github.com/prometheus/client_golang/prometheus"

// Stats count what went wrong talking to Redis, for every module that does:
// failed operations by op and Pub/Sub reconnects. Like the rest of the redis
// module they exist in redis mode only.
type Stats struct {
	errors     *prometheus.CounterVec
	reconnects prometheus.Counter
}

// Operation labels of rt_redis_errors_total.
const (
	OpPublish   = "publish"   // PUBLISH of a room frame
	OpSubscribe = "subscribe" // SUBSCRIBE or UNSUBSCRIBE of a room
	OpPubSub    = "pubsub"    // the Pub/Sub connection failed or was lost, or a room payload was malformed
	OpPresence  = "presence"  // a presence read or write
	OpHistory   = "history"   // a history append (with its publish) or read
	OpWebhook   = "webhook"   // a webhook queue read or write
)

// NewStats returns zeroed counters with every op label present.
func NewStats() *Stats {
	s := &Stats{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_redis_errors_total",
			Help: "Failed Redis operations by op (publish, subscribe, pubsub, presence, history, webhook).",
		}, []string{"op"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_redis_reconnects_total",
			Help: "Times the Redis Pub/Sub connection was re-established after a loss.",
		}),
	}
	for _, op := range []string{OpPublish, OpSubscribe, OpPubSub, OpPresence, OpHistory, OpWebhook} {
		s.errors.WithLabelValues(op)
	}
	return s
}

// Failed counts one failed operation.
func (s *Stats) Failed(op string) { s.errors.WithLabelValues(op).Inc() }

// Reconnected counts one re-established Pub/Sub connection.
func (s *Stats) Reconnected() { s.reconnects.Inc() }

// Collectors are the counters, for the metrics module.
func (s *Stats) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.errors, s.reconnects}
}
