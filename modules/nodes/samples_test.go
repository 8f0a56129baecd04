package nodes

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A sample is read from real collectors of the names the hub and the
// transport register: the rates and the p99 of the interval only.
func TestSampleIsTheIntervalsRatesAndP99(t *testing.T) {
	reg := prometheus.NewRegistry()
	published := prometheus.NewCounter(prometheus.CounterOpts{Name: metricPublished})
	deliveries := prometheus.NewCounter(prometheus.CounterOpts{Name: metricDeliveries})
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricLatency, Buckets: []float64{.001, .01, .1}})
	conns := prometheus.NewGauge(prometheus.GaugeOpts{Name: metricConnections})
	reg.MustRegister(published, deliveries, latency, conns)

	published.Add(100) // before the interval: not in its rates
	latency.Observe(0.05)
	t0 := time.Unix(1000, 0)
	before := read(reg, t0)

	published.Add(20)
	deliveries.Add(60)
	conns.Set(7)
	for range 99 {
		latency.Observe(0.0005)
	}
	latency.Observe(0.005)
	s := sampleBetween(before, read(reg, t0.Add(2*time.Second)))

	if s.Messages != 10 || s.Deliveries != 30 || s.Connections != 7 || s.At != t0.Add(2*time.Second).UnixMilli() {
		t.Errorf("sample %+v, want 10 messages/s, 30 deliveries/s, 7 connections", s)
	}
	// 100 observations, 99 under 1 ms: the 99th is at the first bucket's top.
	if math.Abs(s.P99-1) > 1e-9 {
		t.Errorf("p99 %v ms, want 1", s.P99)
	}
}

func TestQuantileOfNothingIsZeroAndOfTheTopBucketItsBound(t *testing.T) {
	cur := []bucket{{0.1, 0}, {1, 0}, {math.Inf(1), 0}}
	if q := quantile(0.99, cur, cur); q != 0 {
		t.Errorf("no observations: %v, want 0", q)
	}
	over := []bucket{{0.1, 0}, {1, 0}, {math.Inf(1), 5}}
	if q := quantile(0.99, cur, over); q != 1 {
		t.Errorf("all above the last bound: %v, want 1", q)
	}
}

func TestRingKeepsTheLastSamples(t *testing.T) {
	r := ring{size: 3}
	for i := range 5 {
		r.add(Sample{At: int64(i)})
	}
	got := r.all()
	if len(got) != 3 || got[0].At != 2 || got[2].At != 4 {
		t.Errorf("ring %+v, want samples 2..4", got)
	}
}

func TestMemoryRecordsExpire(t *testing.T) {
	m := NewMemory()
	_ = m.Put(t.Context(), Node{ID: "a"}, time.Hour)
	_ = m.Put(t.Context(), Node{ID: "b"}, -time.Second) // already past its TTL
	listed, _ := m.List(t.Context())
	if len(listed) != 1 || listed[0].ID != "a" {
		t.Errorf("listed %+v, want a alone", listed)
	}
	_ = m.Remove(t.Context(), "a")
	if listed, _ := m.List(t.Context()); len(listed) != 0 {
		t.Errorf("after Remove: %+v", listed)
	}
}
