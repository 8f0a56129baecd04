package nodes

import (
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The metrics a record and its samples are read from: the same collectors
// /metrics exports, so there is one source of truth.
const (
	metricConnections = "rt_connections"
	metricRooms       = "rt_rooms"
	metricPublished   = "rt_messages_published_total"
	metricDeliveries  = "rt_deliveries_total"
	metricLatency     = "rt_delivery_latency_seconds"
)

// reading is what the registry said at one moment.
type reading struct {
	at          time.Time
	connections int
	rooms       int
	published   float64
	deliveries  float64
	latency     []bucket // cumulative, as the histogram keeps them
}

// bucket is one cumulative histogram bucket.
type bucket struct {
	upper float64
	count uint64
}

// read gathers the registry once; with no registry (the metrics module
// left out) every figure reads 0.
func read(g prometheus.Gatherer, now time.Time) reading {
	r := reading{at: now}
	if g == nil {
		return r
	}
	families, _ := g.Gather() // a failed collector leaves its figure at 0
	for _, f := range families {
		if len(f.GetMetric()) == 0 {
			continue
		}
		m := f.GetMetric()[0]
		switch f.GetName() {
		case metricConnections:
			r.connections = int(m.GetGauge().GetValue())
		case metricRooms:
			r.rooms = int(m.GetGauge().GetValue())
		case metricPublished:
			r.published = m.GetCounter().GetValue()
		case metricDeliveries:
			r.deliveries = m.GetCounter().GetValue()
		case metricLatency:
			r.latency = buckets(m.GetHistogram())
		}
	}
	return r
}

func buckets(h *dto.Histogram) []bucket {
	out := make([]bucket, 0, len(h.GetBucket())+1)
	for _, b := range h.GetBucket() {
		out = append(out, bucket{upper: b.GetUpperBound(), count: b.GetCumulativeCount()})
	}
	return append(out, bucket{upper: math.Inf(1), count: h.GetSampleCount()})
}

// sampleBetween is the sample of the interval from prev to cur.
func sampleBetween(prev, cur reading) Sample {
	s := Sample{At: cur.at.UnixMilli(), Connections: cur.connections}
	secs := cur.at.Sub(prev.at).Seconds()
	if secs <= 0 {
		return s
	}
	s.Messages = max(0, cur.published-prev.published) / secs
	s.Deliveries = max(0, cur.deliveries-prev.deliveries) / secs
	s.P99 = quantile(0.99, prev.latency, cur.latency) * 1000
	return s
}

// quantile estimates the q-quantile of the observations made between two
// readings of a histogram the way Prometheus's histogram_quantile does:
// linear within the bucket the rank falls in, the largest finite bound
// for the +Inf bucket. 0 when nothing was observed.
func quantile(q float64, prev, cur []bucket) float64 {
	if len(cur) == 0 {
		return 0
	}
	delta := func(i int) float64 {
		if len(prev) != len(cur) {
			return float64(cur[i].count)
		}
		return float64(cur[i].count - min(prev[i].count, cur[i].count))
	}
	total := delta(len(cur) - 1)
	if total == 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for i := range cur {
		n := delta(i)
		if n >= rank {
			if math.IsInf(cur[i].upper, 1) {
				return lower
			}
			if n == below {
				return cur[i].upper
			}
			return lower + (cur[i].upper-lower)*(rank-below)/(n-below)
		}
		lower, below = cur[i].upper, n
	}
	return lower
}

// ring keeps the last size samples, oldest first.
type ring struct {
	size    int
	samples []Sample
}

func (r *ring) add(s Sample) {
	r.samples = append(r.samples, s)
	if len(r.samples) > r.size {
		r.samples = append(r.samples[:0], r.samples[len(r.samples)-r.size:]...)
	}
}

func (r *ring) all() []Sample { return append([]Sample(nil), r.samples...) }
