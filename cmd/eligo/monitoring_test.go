package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/eligo/eligo/internal/testenv"
)

// What deploy/monitoring ships, checked here without a server
// (TestMonitoringRules, TestMonitoringDashboard) and against a real
// Prometheus scraping a real `eligo serve` (TestMonitoringAgainstPrometheus).
const (
	monitoringDir   = "../../deploy/monitoring"
	operationsDoc   = "../../docs/operations.md"
	runbookURLStart = "https://github.com/eligo/eligo/blob/main/docs/operations.md#"
)

type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadAlerts(t *testing.T) []alertRule {
	t.Helper()
	var file struct {
		Groups []struct {
			Name  string      `yaml:"name"`
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, filepath.Join(monitoringDir, "alerts.yml"), &file)
	var rules []alertRule
	for _, g := range file.Groups {
		rules = append(rules, g.Rules...)
	}
	require.NotEmpty(t, rules)
	return rules
}

// dashboardQueries returns every panel query of dashboard.json, with
// Grafana's $__rate_interval replaced by rateInterval so that Prometheus
// can run it.
func dashboardQueries(t *testing.T, rateInterval string) []string {
	t.Helper()
	var queries []string
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			queries = append(queries, strings.ReplaceAll(tg.Expr, "$__rate_interval", rateInterval))
		}
	}
	require.NotEmpty(t, queries)
	return queries
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaDashboard struct {
	Inputs []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	SchemaVersion int    `json:"schemaVersion"`
	UID           string `json:"uid"`
	Panels        []struct {
		Type       string             `json:"type"`
		Title      string             `json:"title"`
		Datasource *grafanaDatasource `json:"datasource"`
		Targets    []struct {
			Datasource *grafanaDatasource `json:"datasource"`
			Expr       string             `json:"expr"`
			RefID      string             `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
}

func loadDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(monitoringDir, "dashboard.json"))
	require.NoError(t, err)
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(b, &d))
	return d
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, into), path)
}

// monitoringTool returns the path of a Prometheus program (Debian's
// prometheus package installs both); a test without it skips, except
// under CI, where .ci/run installs it.
func monitoringTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if testenv.InCI() {
		t.Fatalf("%s is not installed: under CI (CI=true) the monitoring tests must run; .ci/run installs Debian's prometheus package", name)
	}
	t.Skipf("%s is not installed: skipping (apt-get install prometheus to run this test)", name)
	return ""
}

// The rules are valid, every alert has a quiet and a firing unit test, a
// severity, a summary and a runbook section in docs/operations.md.
func TestMonitoringRules(t *testing.T) {
	t.Parallel()
	promtool := monitoringTool(t, "promtool")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = monitoringDir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
		require.Contains(t, string(out), "SUCCESS", "promtool %s", strings.Join(args, " "))
	}

	var tests struct {
		Tests []struct {
			Name  string `yaml:"name"`
			Cases []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, filepath.Join(monitoringDir, "alerts_test.yml"), &tests)
	quiet, firing := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, c := range tc.Cases {
			if len(c.ExpAlerts) == 0 {
				quiet[c.Alertname] = true
			} else {
				firing[c.Alertname] = true
			}
		}
	}

	doc, err := os.ReadFile(operationsDoc)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, r := range loadAlerts(t) {
		require.False(t, seen[r.Alert], "alert %s is defined twice", r.Alert)
		seen[r.Alert] = true
		require.True(t, quiet[r.Alert], "alerts_test.yml has no case where %s stays quiet", r.Alert)
		require.True(t, firing[r.Alert], "alerts_test.yml has no case where %s fires", r.Alert)
		require.Contains(t, []string{"critical", "warning"}, r.Labels["severity"], "%s: severity", r.Alert)
		require.NotEmpty(t, r.Annotations["summary"], "%s: summary", r.Alert)
		require.Equal(t, runbookURLStart+strings.ToLower(r.Alert), r.Annotations["runbook_url"], "%s: runbook_url names its section", r.Alert)
		require.Regexp(t, `(?m)^### `+r.Alert+`$`, string(doc), "docs/operations.md has no section for %s", r.Alert)
		_, ok := watchedQuantity(r.Expr)
		require.True(t, ok, "%s: the expression must end in a comparison with a number (see watchedQuantity): %s", r.Alert, r.Expr)
	}
	for name := range quiet {
		require.True(t, seen[name], "alerts_test.yml tests %s, which alerts.yml does not define", name)
	}
}

// The dashboard takes its Prometheus as the DS_PROMETHEUS input, and shows
// every metric family eligo declares.
func TestMonitoringDashboard(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	require.GreaterOrEqual(t, d.SchemaVersion, 36, "Grafana 10's schema")
	require.NotEmpty(t, d.UID)
	require.Len(t, d.Inputs, 1)
	require.Equal(t, "DS_PROMETHEUS", d.Inputs[0].Name)
	require.Equal(t, "prometheus", d.Inputs[0].PluginID)
	want := grafanaDatasource{Type: "prometheus", UID: "${DS_PROMETHEUS}"}
	var all strings.Builder
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		require.Equal(t, &want, p.Datasource, "panel %q", p.Title)
		for _, tg := range p.Targets {
			require.Equal(t, &want, tg.Datasource, "panel %q, query %s", p.Title, tg.RefID)
			require.NotEmpty(t, tg.Expr, "panel %q, query %s", p.Title, tg.RefID)
			all.WriteString(tg.Expr + "\n")
		}
	}
	for _, family := range declaredFamilies(t) {
		require.Regexp(t, `\b`+family+`(_bucket)?\b`, all.String(), "no dashboard panel shows %s", family)
	}
}

// declaredFamilies returns the metric families declared in the module's
// Go source (not its tests): the Name of a metric's options or the name
// of a NewDesc.
func declaredFamilies(t *testing.T) []string {
	t.Helper()
	decl := regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*)"(eligo_[a-z0-9_]+)"`)
	var families []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || path == filepath.Join("../..", "deploy", "tools")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(b, -1) {
			families = append(families, string(m[1]))
		}
		return nil
	})
	require.NoError(t, err)
	slices.Sort(families)
	families = slices.Compact(families)
	require.Contains(t, families, "eligo_http_requests_total", "the scan found the families")
	return families
}

// finalComparison is the comparison with a number that ends an alert's
// expression, such as "> 0.01" (Prometheus's comparison operators).
var finalComparison = regexp.MustCompile(`(?s)^(.*\S)\s*(?:==|!=|>=|<=|>|<)\s*-?[0-9][0-9.]*(?:[eE][+-]?[0-9]+)?\s*$`)

// watchedQuantity returns an alert's expression without its final
// comparison: the quantity the alert watches. A comparison returns no
// series while the alert is quiet, so a real Prometheus cannot tell a
// quiet alert from a misspelt one; the quantity returns a series whenever
// its metrics exist, whatever their values. ok is false when the
// expression does not end in a comparison with a number.
func watchedQuantity(expr string) (quantity string, ok bool) {
	m := finalComparison.FindStringSubmatch(strings.TrimSpace(expr))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// metricSelector matches a vector selector of an eligo family: the name
// and its label matchers, whose quoted values may hold braces
// (route="GET /v1/orders/{id}/eligibility").
var metricSelector = regexp.MustCompile(`eligo_[a-z0-9_]+(?:\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?`)

// selectors returns the eligo vector selectors in expr.
func selectors(expr string) []string { return metricSelector.FindAllString(expr, -1) }

func TestWatchedQuantityAndSelectors(t *testing.T) {
	t.Parallel()
	q, ok := watchedQuantity("sum(rate(a[5m])) / (b > 0)\n  >= 0.9\n")
	require.True(t, ok)
	require.Equal(t, "sum(rate(a[5m])) / (b > 0)", q)
	q, ok = watchedQuantity("min(eligo_store_available) < 1")
	require.True(t, ok)
	require.Equal(t, "min(eligo_store_available)", q)
	_, ok = watchedQuantity("absent(eligo_build_info)")
	require.False(t, ok, "no comparison")
	_, ok = watchedQuantity("a > b")
	require.False(t, ok, "a comparison between two vectors is not a bound")

	require.Equal(t, []string{
		`eligo_http_requests_total{route="GET /v1/orders/{id}/eligibility",code=~"5.."}`,
		`eligo_http_max_connections`,
	}, selectors(`sum(rate(eligo_http_requests_total{route="GET /v1/orders/{id}/eligibility",code=~"5.."}[5m])) / eligo_http_max_connections`))
}
