package spec

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every route is whole: one of its kind, its path parameters those of its
// path, its statuses each once, and its command's arguments and flags each
// naming one of its parameters or body fields.
func TestAPITableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	shared := map[string]Failure{}
	for _, r := range Routes {
		for _, key := range []string{"id " + r.ID, "route " + r.Method + " " + r.Path, "command " + r.Command.Name} {
			if seen[key] || strings.HasSuffix(key, " ") {
				t.Errorf("%s: %s is missing or given twice", r.ID, key)
			}
			seen[key] = true
		}
		checkPathParams(t, r)
		statuses := []int{r.OK.Status}
		for _, f := range r.Failures {
			if slices.Contains(statuses, f.Status) || len(f.Codes) == 0 {
				t.Errorf("%s: status %d twice, or without a code", r.ID, f.Status)
			}
			statuses = append(statuses, f.Status)
			if prev, ok := shared[f.Shared]; ok && f.Shared != "" && !reflect.DeepEqual(prev, f) {
				t.Errorf("%s: two failures named %s", r.ID, f.Shared)
			}
			shared[f.Shared] = f
		}
		if _, ok := Schemas[bodySchema(r)]; r.Body != nil && !ok {
			t.Errorf("%s: no schema %q", r.ID, r.Body.Schema)
		}
		checkCommand(t, r)
	}
}

func bodySchema(r Route) string {
	if r.Body == nil {
		return ""
	}
	return r.Body.Schema
}

// checkPathParams fails t unless r's {names} are its path parameters.
func checkPathParams(t *testing.T, r Route) {
	t.Helper()
	var inPath, declared []string
	for _, m := range regexp.MustCompile(`\{([a-z]+)\}`).FindAllStringSubmatch(r.Path, -1) {
		inPath = append(inPath, m[1])
	}
	for _, p := range r.Params {
		if p.In == InPath {
			declared = append(declared, p.Name)
		} else if p.In != InQuery {
			t.Errorf("%s: parameter %s in %q", r.ID, p.Name, p.In)
		}
	}
	if !slices.Equal(inPath, declared) {
		t.Errorf("%s: the path has %q, the parameters %q", r.ID, inPath, declared)
	}
}

// checkCommand fails t unless every value r's command takes goes somewhere
// in the request, each once: an argument to a path parameter or to a body
// field that is required or one of the body's alternatives (an argument is
// never left out, but may be empty for an alternative), a flag to a query
// parameter or a body field.
func checkCommand(t *testing.T, r Route) {
	t.Helper()
	var names []string
	for _, a := range r.Command.Args {
		p, isParam := r.Param(a)
		_, required, isField := r.BodyField(a)
		if !(isParam && p.In == InPath) && !(isField && (required || slices.Contains(r.Alternatives(), a))) {
			t.Errorf("%s: argument %s is no path parameter, required body field or alternative", r.ID, a)
		}
		names = append(names, a)
	}
	for _, f := range r.Command.Flags {
		_, isParam := r.Param(f.Name)
		_, _, isField := r.BodyField(f.Name)
		if isParam == isField || f.Meta == "" {
			t.Errorf("%s: flag -%s names no parameter or body field, or both, or has no Meta", r.ID, f.Name)
		}
		names = append(names, f.Name)
	}
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			t.Errorf("%s: %s is taken twice", r.ID, n)
		}
	}
	for _, alt := range r.Alternatives() {
		if _, required, ok := r.BodyField(alt); !ok || required {
			t.Errorf("%s: alternative %s is no optional body field", r.ID, alt)
		}
	}
	if r.Command.Help == "" {
		t.Errorf("%s: no help", r.ID)
	}
}

// The document is OpenAPI 3.1, and every $ref in it names something in it.
func TestOpenAPIRefsResolve(t *testing.T) {
	var d map[string]any
	if err := json.Unmarshal(Document(), &d); err != nil {
		t.Fatal(err)
	}
	if d["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", d["openapi"])
	}
	var refs []string
	collectRefs(d, &refs)
	if len(refs) == 0 {
		t.Fatal("no $ref at all")
	}
	for _, ref := range refs {
		var at any = d
		for _, step := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, _ := at.(map[string]any)
			at = m[step]
		}
		if at == nil {
			t.Errorf("$ref %q names nothing", ref)
		}
	}
}

func collectRefs(v any, refs *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				*refs = append(*refs, s)
			}
			collectRefs(x, refs)
		}
	case []any:
		for _, x := range v {
			collectRefs(x, refs)
		}
	}
}
