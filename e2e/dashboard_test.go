package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// The files of deploy/ that name rt's metrics.
const (
	dashboardFile  = "../deploy/grafana/rt.json"
	alertsFile     = "../deploy/prometheus/alerts.yml"
	alertTestsFile = "../deploy/prometheus/alerts_test.yml"
	dashboardDoc   = "../docs/dashboard.md"
)

// madeByPrometheus are the names the rules may use that no exporter
// serves: Prometheus writes them itself for every scrape.
var madeByPrometheus = []string{"up"}

// TestDashboardAndAlertsNameExportedMetrics: every metric the dashboard, the
// alert rules and the rules' unit tests name is in the /metrics of a real
// node in redis mode with the server API, both hooks and the webhook on,
// so that every module's metrics are registered. A family with labels
// (a Vec) is only in a scrape once one of its series exists; most of rt's
// are created at start with every label value, and the session below
// makes the others (the hooks' calls and durations, the API's requests)
// appear, so what is checked is the scrape itself, as Prometheus sees it.
func TestDashboardAndAlertsNameExportedMetrics(t *testing.T) {
	srv := redistest.Start(t)
	backend := startHookBackend(t,
		func(_ context.Context, _ asked) string { return allow },
		func(_ context.Context, _ moderated) string { return allow })
	events := webhooktest.NewBackend(t, nil)
	cfg := backend.hooked(testConfig())
	cfg.RedisURL, cfg.WebhookURL = srv.URL(), events.URL()
	n := startAPINode(t, cfg)

	c := dial(t, n.node, "lobby", "alice") // the connect hook
	c.ready()
	c.chat("hello") // the publish hook, a delivery and its latency
	c.expect("chat.delivery", "chat.ack", "presence.join", "presence.diff")
	n.ok(t, "GET", "/api/rooms/lobby/presence", "", 200)

	exported := n.scrape(t)
	if exported["rt_hook_calls_total"] == nil || exported["rt_api_requests_total"] == nil {
		t.Fatal("the session did not make the hooks' and the API's metrics appear")
	}
	for file, exprs := range map[string][]string{
		dashboardFile:  dashboardExprs(t),
		alertsFile:     ruleExprs(t),
		alertTestsFile: alertTestSeries(t),
	} {
		if len(exprs) == 0 {
			t.Errorf("%s: no expression found", file)
		}
		for _, expr := range exprs {
			for _, name := range metricNames(expr) {
				if !isExported(exported, name) {
					t.Errorf("%s: %s is not in rt's /metrics (in %q)", file, name, expr)
				}
			}
		}
	}
}

// isExported reports whether a scrape has name, a histogram's
// _bucket, _sum and _count series counting as the histogram.
func isExported(f metricstest.Families, name string) bool {
	if f[name] != nil || slices.Contains(madeByPrometheus, name) {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok || f[base] == nil {
			continue
		}
		switch f[base].GetType() {
		case dto.MetricType_HISTOGRAM:
			return true
		case dto.MetricType_SUMMARY:
			return suffix != "_bucket"
		}
	}
	return false
}

// dashboard is what the test reads of deploy/grafana/rt.json.
type dashboard struct {
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"` // a collapsed row's
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// dashboardPanels are the panels that show data, rows opened up.
func dashboardPanels(d dashboard) []panel {
	var all []panel
	for _, p := range d.Panels {
		if p.Type == "row" {
			all = append(all, p.Panels...)
		} else {
			all = append(all, p)
		}
	}
	return all
}

// labelValuesQuery is the metric of a Grafana variable's label_values().
var labelValuesQuery = regexp.MustCompile(`label_values\(\s*([^,)]+)`)

// dashboardExprs are every panel's queries, and the metrics the variables
// read their values from.
func dashboardExprs(t *testing.T) []string {
	var exprs []string
	d := readDashboard(t)
	for _, p := range dashboardPanels(d) {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if m := labelValuesQuery.FindSubmatch(v.Query); m != nil {
			exprs = append(exprs, string(m[1]))
		}
	}
	return exprs
}

// TestDashboardIsWhole: the dashboard parses, is of the schema it claims,
// and every panel has an id of its own and at least one query.
func TestDashboardIsWhole(t *testing.T) {
	d := readDashboard(t)
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d, want a current one (36 or later)", d.SchemaVersion)
	}
	ids := map[int]string{}
	for _, p := range d.Panels {
		if other, ok := ids[p.ID]; ok {
			t.Errorf("panels %q and %q share the id %d", p.Title, other, p.ID)
		}
		ids[p.ID] = p.Title
	}
	panels := dashboardPanels(d)
	if len(panels) < 10 {
		t.Fatalf("%d panels, want the dashboard's", len(panels))
	}
	for _, p := range panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			if strings.TrimSpace(target.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
		}
	}
}

// rule is one alerting rule of deploy/prometheus/alerts.yml.
type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func readRules(t *testing.T) []rule {
	t.Helper()
	var file struct {
		Groups []struct {
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, alertsFile, &file)
	var rules []rule
	for _, g := range file.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}

func ruleExprs(t *testing.T) []string {
	var exprs []string
	for _, r := range readRules(t) {
		exprs = append(exprs, r.Expr)
	}
	return exprs
}

// alertTestSeries are the synthetic series of the rules' unit tests: a
// name misspelled there would test a rule against a metric rt never sends.
func alertTestSeries(t *testing.T) []string {
	var file struct {
		Tests []struct {
			InputSeries []struct {
				Series string `yaml:"series"`
			} `yaml:"input_series"`
		} `yaml:"tests"`
	}
	readYAML(t, alertTestsFile, &file)
	var series []string
	for _, test := range file.Tests {
		for _, s := range test.InputSeries {
			series = append(series, s.Series)
		}
	}
	return series
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestAlertsAreActionable: every rule waits (for:), says how bad it is,
// and tells the one paged what happened and where its runbook is, a
// section of docs/dashboard.md that exists.
func TestAlertsAreActionable(t *testing.T) {
	doc, err := os.ReadFile(dashboardDoc)
	if err != nil {
		t.Fatal(err)
	}
	rules := readRules(t)
	if len(rules) == 0 {
		t.Fatal("no rules")
	}
	for _, r := range rules {
		if r.For == "" {
			t.Errorf("%s: no for:", r.Alert)
		}
		if !slices.Contains([]string{"critical", "warning", "info"}, r.Labels["severity"]) {
			t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
		}
		if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
			t.Errorf("%s: summary or description missing", r.Alert)
		}
		want := "docs/dashboard.md#" + strings.ToLower(r.Alert)
		if r.Annotations["runbook"] != want {
			t.Errorf("%s: runbook %q, want %q", r.Alert, r.Annotations["runbook"], want)
		}
		if !strings.Contains(string(doc), "\n### "+r.Alert+"\n") {
			t.Errorf("%s: %s has no section ### %s", r.Alert, dashboardDoc, r.Alert)
		}
	}
}

// TestDashboardQueriesParse gives every dashboard query to promtool as a
// recording rule, Grafana's variables replaced by what they stand for, so
// that Prometheus's own parser reads them. Without promtool (Debian's
// prometheus package; CI installs it) it skips, saying so.
func TestDashboardQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("SKIP: promtool not found: the dashboard's queries are not parsed; install Debian's prometheus package")
	}
	grafana := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$instance", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, expr := range dashboardExprs(t) {
		q, _ := json.Marshal(grafana.Replace(expr)) // a JSON string is a YAML string
		fmt.Fprintf(&rules, "      - record: dashboard_query_%d\n        expr: %s\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "dashboard.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the dashboard's queries: %v\n%s", err, out)
	}
}
