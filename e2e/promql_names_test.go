package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The metric names a PromQL expression reads, found without a PromQL
// parser: Prometheus's own (github.com/prometheus/prometheus/promql/parser)
// would bring that whole module into go.mod for one test, and the rules
// file is parsed for real by promtool in CI (task check:alerts). What is
// removed first cannot hold a metric name: string literals, label
// matchers {…}, ranges and subqueries […], the label lists of by, without,
// on, ignoring, group_left and group_right, and Grafana's $variables. What
// is left is numbers and durations, keywords, functions and aggregations
// (a name followed by "("), and metric names.

var (
	promqlStrings  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	promqlMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promqlRanges   = regexp.MustCompile(`\[[^\[\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promqlVariable = regexp.MustCompile(`\$(?:\{[^}]*\}|\w+)`)
	// a token: a duration or a number (kept whole so that the m of 5m or
	// the e of 1e3 is not read as a name), or a name and whether a call's
	// "(" follows it.
	promqlToken = regexp.MustCompile(`(?:[0-9]+(?:ms|[smhdwy]))+|0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?`)
)

// promqlKeywords are the words of PromQL that are neither functions nor
// metric names.
var promqlKeywords = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on",
	"ignoring", "group_left", "group_right", "inf", "nan", "start", "end"}

// metricNames returns the metric names expr reads, each once, in order.
func metricNames(expr string) []string {
	expr = promqlStrings.ReplaceAllString(expr, " ")
	expr = promqlMatchers.ReplaceAllString(expr, " ")
	expr = promqlRanges.ReplaceAllString(expr, " ")
	expr = promqlVariable.ReplaceAllString(expr, " ")
	expr = promqlGrouping.ReplaceAllString(expr, " ")
	var names []string
	for _, m := range promqlToken.FindAllStringSubmatch(expr, -1) {
		name, call := m[1], m[2]
		if name == "" || call != "" || slices.Contains(promqlKeywords, strings.ToLower(name)) {
			continue
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// The extraction on the shapes the dashboard and the rules use, and the
// traps: names in strings, label names in by (…), durations, keywords.
func TestMetricNamesOfPromQL(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up{job="rt"} == 0`, []string{"up"}},
		{`rt_ready_check{check="redis"} == 0`, []string{"rt_ready_check"}},
		{`sum by (instance, op) (rate(rt_redis_errors_total[5m])) > 0.1`, []string{"rt_redis_errors_total"}},
		{`histogram_quantile(0.99, sum by (instance, le) (rate(rt_delivery_latency_seconds_bucket[5m]))) > 0.25`,
			[]string{"rt_delivery_latency_seconds_bucket"}},
		{"sum by (instance) (rate(a_total{code=\"4002\"}[10m])) > 0.1\nand\nsum(rate(b_total[10m])) by (code) / sum without (le) (c) > 5e-2",
			[]string{"a_total", "b_total", "c"}},
		{`max by (job) (deriv(rt_webhook_backlog[15m])) > 0 unless on (job) group_left (x) rt_up offset 1h`,
			[]string{"rt_webhook_backlog", "rt_up"}},
		{`sum(rate(rt_x{instance=~"$instance",name="not_a_metric{}"}[$__rate_interval])) or vector(0)`, []string{"rt_x"}},
		{`rate(rt_x[5m:1m] @ end())`, []string{"rt_x"}},
		{`rt_a / ignoring(op) rt_b * 1.5e3+rt_c bool > Inf`, []string{"rt_a", "rt_b", "rt_c"}},
		{`rt_a offset 1h30m > 0x1f`, []string{"rt_a"}},
	} {
		if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}
