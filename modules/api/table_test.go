package api

import (
	"encoding/json"
	"log/slog"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// The table, the OpenAPI document generated from it, the routes the router
// really serves and the handlers are the same routes, each way round.
func TestOpenAPITableAndRouterAgree(t *testing.T) {
	var table []string
	for _, r := range spec.Routes {
		table = append(table, r.Method+" "+r.Path)
	}
	slices.Sort(table)

	if documented := documentedRoutes(t, spec.Document()); !slices.Equal(documented, table) {
		t.Errorf("documented %q\ntable %q", documented, table)
	}

	app := newApp(testConfigOf(), &fake{}, fxRefusals(t), slog.New(slog.DiscardHandler), newMetrics(), extensionOfModules())
	var served, refusing []string
	for _, r := range app.GetRoutes(true) {
		if r.Name == pageRoute {
			continue
		}
		if r.Name == refusalRoute {
			refusing = append(refusing, r.Method+" "+r.Path)
			continue
		}
		served = append(served, r.Method+" "+openAPIPath(r.Path))
	}
	slices.Sort(served)
	if !slices.Equal(served, table) {
		t.Errorf("served %q\ntable %q", served, table)
	}
	// What Routes leaves out as refusals really are: 405 with any key.
	for _, op := range refusing {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer(":room", "lobby", ":user", "alice").Replace(path)
		if got := do(t, app, method, path, bearer, ""); got.status != 405 {
			t.Errorf("%s: %d %s, want 405", op, got.status, got.body)
		}
	}

	ids := slices.Sorted(maps.Keys(handlers))
	var tableIDs []string
	for _, r := range spec.Routes {
		if r.Module == "" {
			tableIDs = append(tableIDs, r.ID)
		}
	}
	if slices.Sort(tableIDs); !slices.Equal(ids, tableIDs) {
		t.Errorf("handlers %q, table %q", ids, tableIDs)
	}
}

// extensionOfModules serves every route another module serves, with an
// empty answer: the router's part is what is tested here, the handlers are
// their module's.
func extensionOfModules() Extension {
	e := Extension{Handlers: map[string]fiber.Handler{}}
	for _, r := range spec.Routes {
		if r.Module != "" {
			e.Handlers[r.ID] = func(c *fiber.Ctx) error { return c.JSON(map[string]any{}) }
		}
	}
	e.Pages = []Page{{Path: "/page", Handler: func(c *fiber.Ctx) error { return c.SendString("page") }}}
	return e
}

// Without its module a route is not served (404, with the key), and an
// extension's page is served without the key, apart from the table.
func TestExtensionsRoutesAndPages(t *testing.T) {
	bare, _, _ := testApp(t, &fake{})
	ext := newApp(testConfigOf(), &fake{}, fxRefusals(t), slog.New(slog.DiscardHandler), newMetrics(), extensionOfModules())
	for _, r := range spec.Routes {
		if r.Module == "" {
			continue
		}
		if got := do(t, bare, r.Method, r.Path, bearer, ""); got.status != 404 {
			t.Errorf("%s without its module: %d %s, want 404", r.ID, got.status, got.body)
		}
		if got := do(t, ext, r.Method, r.Path, "", ""); got.status != 401 {
			t.Errorf("%s without the key: %d %s, want 401", r.ID, got.status, got.body)
		}
		if got := do(t, ext, r.Method, r.Path, bearer, ""); got.status != 200 {
			t.Errorf("%s: %d %s, want 200", r.ID, got.status, got.body)
		}
	}
	if got := do(t, ext, "GET", "/page", "", ""); got.status != 200 || got.body != "page" {
		t.Errorf("the page: %d %s", got.status, got.body)
	}
}

// Each documented operation says what its table entry says: the same id,
// public or not, parameters, body and statuses.
func TestOpenAPIOperationsFollowTheTable(t *testing.T) {
	var d struct {
		Paths map[string]map[string]struct {
			OperationID string            `json:"operationId"`
			Security    *[]any            `json:"security"`
			Parameters  []json.RawMessage `json:"parameters"`
			RequestBody *struct{}         `json:"requestBody"`
			Responses   map[string]any    `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(spec.Document(), &d); err != nil {
		t.Fatal(err)
	}
	for _, r := range spec.Routes {
		op := d.Paths[r.Path][strings.ToLower(r.Method)]
		statuses := []string{fmtInt(r.OK.Status)}
		for _, f := range r.Failures {
			statuses = append(statuses, fmtInt(f.Status))
		}
		slices.Sort(statuses)
		if got := slices.Sorted(maps.Keys(op.Responses)); !slices.Equal(got, statuses) {
			t.Errorf("%s: responses %q, want %q", r.ID, got, statuses)
		}
		if op.OperationID != r.ID || (op.Security != nil) != r.Public || len(op.Parameters) != len(r.Params) ||
			(op.RequestBody != nil) != (r.Body != nil) {
			t.Errorf("%s: documented as %+v", r.ID, op)
		}
	}
}

// The limits the table writes into the document are the server's.
func TestAPITableLimitsAreTheServers(t *testing.T) {
	if spec.MaxReasonBytes != hub.MaxReasonBytes {
		t.Errorf("spec.MaxReasonBytes %d, hub's %d", spec.MaxReasonBytes, hub.MaxReasonBytes)
	}
	r, _ := spec.Routes[0].Param("room")
	pattern := regexp.MustCompile(r.Schema.Pattern)
	for _, room := range []string{"lobby", "a.b:c-d_e", "A", strings.Repeat("r", 64), "", "-x", ".x", "a b", "a/b", strings.Repeat("r", 65), "zoë"} {
		if pattern.MatchString(room) != protocol.ValidRoom(room) {
			t.Errorf("room %q: the documented pattern says %v, ValidRoom %v", room, pattern.MatchString(room), protocol.ValidRoom(room))
		}
	}
}

// documentedRoutes are "METHOD /path" for every operation of doc, sorted.
func documentedRoutes(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", d.OpenAPI)
	}
	var out []string
	for path, ops := range d.Paths {
		for method := range ops {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// routesOn are the table's routes whose path template path fits.
func routesOn(t *testing.T, path string) []spec.Route {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []spec.Route
	for _, r := range spec.Routes {
		pattern := "^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(r.Path), "[^/]+") + "$"
		if regexp.MustCompile(pattern).MatchString(u.EscapedPath()) {
			out = append(out, r)
		}
	}
	return out
}

// allowedOn is the Allow header a wrong method on path should get.
func allowedOn(t *testing.T, path string) string {
	var methods []string
	for _, r := range routesOn(t, path) {
		methods = append(methods, r.Method)
	}
	return strings.Join(methods, ", ")
}

// checkListed fails t unless the error answer got (if it is one) is
// listed in the table: among the failures of the route method and path
// went to, or among the global ones.
func checkListed(t *testing.T, method, path string, got answer) {
	t.Helper()
	if got.status < 400 {
		return
	}
	var body struct{ Error string }
	_ = json.Unmarshal([]byte(got.body), &body)
	if method == "HEAD" {
		body.Error = "method_not_allowed" // a HEAD answer has no body
	}
	failures := spec.Global
	for _, r := range routesOn(t, path) {
		if r.Method == method {
			failures = append(slices.Clone(r.Failures), failures...)
		}
	}
	for _, f := range failures {
		for _, c := range f.Codes {
			if f.Status == got.status && c.Name == body.Error {
				return
			}
		}
	}
	t.Errorf("%s %s: %d %s is not in the route table", method, path, got.status, body.Error)
}
