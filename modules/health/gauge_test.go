package health

import (
	"context"
	"errors"
	"testing"

	"github.com/rtserver/rt/modules/health/check"
	"github.com/rtserver/rt/modules/metrics/metricstest"
)

// The gauges say what /readyz would: rt_ready is 0 as soon as one check
// fails, and rt_ready_check names which, every check probed.
func TestReadinessGauges(t *testing.T) {
	passes := func(context.Context) error { return nil }
	fails := func(context.Context) error { return errors.New("refused") }
	for _, tc := range []struct {
		name     string
		checks   []check.Check
		ready    float64
		perCheck map[string]float64
	}{
		{"no checks", nil, 1, nil},
		{"all pass", []check.Check{{Name: "redis", Probe: passes}, {Name: "presence", Probe: passes}}, 1,
			map[string]float64{"redis": 1, "presence": 1}},
		{"redis fails", []check.Check{{Name: "redis", Probe: fails}, {Name: "presence", Probe: passes}}, 0,
			map[string]float64{"redis": 0, "presence": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := metricstest.Gather(t, newReadiness(check.All{Checks: tc.checks})...)
			if got := m.Value("rt_ready"); got != tc.ready {
				t.Errorf("rt_ready = %v, want %v", got, tc.ready)
			}
			if got := len(m["rt_ready_check"].GetMetric()); got != len(tc.perCheck) {
				t.Errorf("%d rt_ready_check series, want %d", got, len(tc.perCheck))
			}
			for name, want := range tc.perCheck {
				if got := m.Value("rt_ready_check", "check", name); got != want {
					t.Errorf("rt_ready_check{check=%q} = %v, want %v", name, got, want)
				}
			}
		})
	}
}
