package main

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/api/spec"
)

// rtctl's commands, as rtctl -h lists them and as parse turns them into
// requests, are the API's routes: every command calls one route of the
// table and of the OpenAPI document, and every route has its command.
func TestRtctlCommandsAreTheAPIRoutes(t *testing.T) {
	listed := listedCommands(t)
	var called []string
	for _, name := range listed {
		route, ok := routeOf(name)
		if !ok {
			t.Errorf("rtctl -h lists %q, which is no route's command", name)
			continue
		}
		checkCalls(t, route)
		called = append(called, route.Method+" "+route.Path)
	}
	slices.Sort(called)
	if documented := documentedOperations(t); !slices.Equal(called, documented) {
		t.Errorf("rtctl's commands call %q\nthe document has %q", called, documented)
	}
	var table []string
	for _, r := range spec.Routes {
		table = append(table, r.Command.Name)
	}
	if !slices.Equal(listed, table) {
		t.Errorf("rtctl -h lists %q, the table has %q", listed, table)
	}
}

// listedCommands are the command names of rtctl -h, in its order.
func listedCommands(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, line := range strings.Split(usage(), "\n") {
		if rest, ok := strings.CutPrefix(line, "  rtctl "); ok {
			names = append(names, strings.Fields(rest)[0])
		}
	}
	if len(names) == 0 {
		t.Fatalf("rtctl -h lists no command:\n%s", usage())
	}
	return names
}

// checkCalls fails t unless route's command, every argument and flag
// given, asks for route's method and path with each value where the route
// takes it, and nothing else.
func checkCalls(t *testing.T, route spec.Route) {
	t.Helper()
	cmd := route.Command
	args := []string{cmd.Name}
	sample := map[string]string{}
	for _, a := range cmd.Args {
		sample[a] = "a " + a + "/x" // a space and a slash: escaped in a path
		args = append(args, sample[a])
	}
	for _, f := range cmd.Flags {
		sample[f.Name] = "f-" + f.Name
		if p, ok := route.Param(f.Name); ok && p.Schema.Type == "integer" {
			sample[f.Name] = "7"
		}
		if field, _, ok := route.BodyField(f.Name); ok && field.AnyJSON() {
			sample[f.Name] = `{"f": ["` + f.Name + `"]}`
		}
		args = append(args, "-"+f.Name, sample[f.Name])
	}
	inv, err := parse(args)
	if err != nil {
		t.Fatalf("rtctl %q: %v", args, err)
	}
	want := request{Method: route.Method, Path: route.Path}
	var body map[string]any
	if route.Body != nil {
		body = map[string]any{}
		want.Body = body
	}
	for name, v := range sample {
		switch p, ok := route.Param(name); {
		case ok && p.In == spec.InPath:
			want.Path = strings.Replace(want.Path, "{"+name+"}", url.PathEscape(v), 1)
		case ok:
			if want.Query == nil {
				want.Query = url.Values{}
			}
			want.Query.Set(name, v)
		default:
			if field, _, _ := route.BodyField(name); field.AnyJSON() {
				body[name] = json.RawMessage(v) // sent as the JSON it is
			} else {
				body[name] = v
			}
		}
	}
	if got := mustJSON(inv.req); got != mustJSON(want) || inv.public != route.Public {
		t.Errorf("rtctl %q asks for %s (public %v)\nthe route takes %s (public %v)", args, got, inv.public, mustJSON(want), route.Public)
	}
}

// documentedOperations are "METHOD /path" of every operation of the
// OpenAPI document, sorted.
func documentedOperations(t *testing.T) []string {
	t.Helper()
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(spec.Document(), &d); err != nil {
		t.Fatal(err)
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

func TestUsageExitsTwo(t *testing.T) {
	r := runWith(t, env("127.0.0.1:1", testKey), "publish", "lobby")
	if r.code != 2 || !strings.Contains(r.stderr, "publish takes ROOM and TEXT") || r.stdout != "" {
		t.Errorf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
}

func TestHelp(t *testing.T) {
	r := runWith(t, env("", ""), "-h")
	for _, synopsis := range []string{"rtctl publish ROOM TEXT [-user ID] [-data JSON]", "rtctl send USER TEXT [-data JSON]"} {
		if r.code != 0 || !strings.Contains(r.stdout, synopsis) || r.stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want %q in it", r.code, r.stdout, r.stderr, synopsis)
		}
	}
}
