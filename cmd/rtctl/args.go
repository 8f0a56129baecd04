package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtserver/rt/modules/api/spec"
)

// request is one call of the server API.
type request struct {
	Method string
	Path   string     // escaped: each user-given segment goes through url.PathEscape
	Query  url.Values // nil for none
	Body   any        // sent as JSON when not nil: the route's body fields, by name (a map[string]any)
}

// invocation is a parsed command line.
type invocation struct {
	req     request
	public  bool   // the route is served without the key, so none is asked for or sent
	addr    string // -addr; "" means API_ADDR
	key     string // -key; "" means API_KEY
	timeout time.Duration
}

// The commands are the server API's routes, each route's Command naming
// the command, its positional arguments and its flags (besides -addr, -key
// and -timeout, which every command takes).
var globalFlags = []string{"addr", "key", "timeout"}

// routeOf is the route whose command is name.
func routeOf(name string) (spec.Route, bool) {
	for _, r := range spec.Routes {
		if r.Command.Name == name {
			return r, true
		}
	}
	return spec.Route{}, false
}

// commandList is every command's name, as an error message lists them.
func commandList() string {
	var names []string
	for _, r := range spec.Routes {
		names = append(names, r.Command.Name)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// usageError is a bad command line: exit status 2.
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, a ...any) error { return usageError(fmt.Sprintf(format, a...)) }

// parse reads a command line (without the program's name) into the request
// it asks for. It returns flag.ErrHelp for -h, -help or help.
func parse(args []string) (invocation, error) {
	var inv invocation
	fs := flag.NewFlagSet("rtctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&inv.addr, "addr", "", "")
	fs.StringVar(&inv.key, "key", "", "")
	fs.DurationVar(&inv.timeout, "timeout", 10*time.Second, "")
	for _, r := range spec.Routes {
		for _, f := range r.Command.Flags {
			if fs.Lookup(f.Name) == nil {
				fs.String(f.Name, "", "") // its default is its command's, applied in build
			}
		}
	}

	pos, err := interleaved(fs, args)
	if err != nil {
		return inv, err
	}
	if len(pos) == 0 {
		return inv, usagef("no command: %s", commandList())
	}
	if pos[0] == "help" {
		return inv, flag.ErrHelp
	}
	route, ok := routeOf(pos[0])
	if !ok {
		return inv, usagef("unknown command %q: %s", pos[0], commandList())
	}
	given, err := givenFlags(fs, route)
	if err != nil {
		return inv, err
	}
	if err := checkArgs(route, pos[1:]); err != nil {
		return inv, err
	}
	if inv.timeout <= 0 {
		return inv, usagef("-timeout must be positive")
	}
	inv.public = route.Public
	inv.req, err = build(route, pos[1:], given)
	return inv, err
}

// givenFlags are the flags on the command line that route's command takes,
// by name; a flag of another command is an error.
func givenFlags(fs *flag.FlagSet, route spec.Route) (map[string]string, error) {
	given := map[string]string{}
	var stray []string
	fs.Visit(func(f *flag.Flag) {
		switch {
		case slices.Contains(globalFlags, f.Name):
		case slices.ContainsFunc(route.Command.Flags, func(cf spec.Flag) bool { return cf.Name == f.Name }):
			given[f.Name] = f.Value.String()
		default:
			stray = append(stray, "-"+f.Name)
		}
	})
	if len(stray) > 0 {
		return nil, usagef("%s does not take %s", route.Command.Name, strings.Join(stray, ", "))
	}
	return given, nil
}

// checkArgs refuses a wrong number of arguments, or an empty one.
func checkArgs(route spec.Route, pos []string) error {
	cmd := route.Command
	if len(pos) != len(cmd.Args) {
		hint := ""
		if n := len(cmd.Args); len(pos) > n && n > 0 {
			// A body field is free text (a path segment is a name): too many
			// arguments are most likely its words, unquoted.
			if _, _, isField := route.BodyField(cmd.Args[n-1]); isField {
				hint = " (quote a " + strings.ToUpper(cmd.Args[n-1]) + " of several words)"
			}
		}
		names := metaNames(cmd.Args)
		takes := "no argument"
		if len(names) > 0 {
			takes = strings.Join(names, " and ")
		}
		return usagef("%s takes %s, got %d argument(s)%s", cmd.Name, takes, len(pos), hint)
	}
	for i, a := range pos {
		// An alternative may be empty: left out, another one stands in.
		if a == "" && !slices.Contains(route.Alternatives(), cmd.Args[i]) {
			return usagef("%s: %s is empty", cmd.Name, strings.ToUpper(cmd.Args[i]))
		}
	}
	return nil
}

// metaNames are argument names as rtctl -h writes them: ROOM, TEXT.
func metaNames(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, strings.ToUpper(a))
	}
	return out
}

// build is the request route's command asks for: each argument and flag
// put where the route takes it. A flag not given takes its default; an
// empty value is left out of the query, and out of the body unless the
// body requires the field (then the server judges it). A body that needs
// one of several fields (a message's text or data) and would have none is
// refused here.
func build(route spec.Route, pos []string, given map[string]string) (request, error) {
	req := request{Method: route.Method, Path: route.Path}
	var body map[string]any
	if route.Body != nil {
		body = map[string]any{}
		req.Body = body
	}
	put := func(name, value string) error {
		if p, ok := route.Param(name); ok {
			return putParam(&req, p, value)
		}
		return putField(route, body, name, value)
	}
	for i, name := range route.Command.Args {
		if err := put(name, pos[i]); err != nil {
			return request{}, err
		}
	}
	for _, f := range route.Command.Flags {
		v, ok := given[f.Name]
		if !ok {
			v = f.Default
		}
		if err := put(f.Name, v); err != nil {
			return request{}, err
		}
	}
	return req, checkAlternatives(route, body)
}

// putField puts value into body as the field name: a string, or for a
// field that takes any JSON value, that value, sent as given.
func putField(route spec.Route, body map[string]any, name, value string) error {
	field, required, _ := route.BodyField(name)
	switch {
	case value == "" && !required:
		return nil
	case field.AnyJSON():
		if !json.Valid([]byte(value)) {
			return usagef("-%s: not a JSON value (quote a string as JSON: '\"text\"')", name)
		}
		body[name] = json.RawMessage(value)
	default:
		body[name] = value
	}
	return nil
}

// checkAlternatives refuses a body without any of the route's
// alternatives, naming them as the command line gives them.
func checkAlternatives(route spec.Route, body map[string]any) error {
	alts := route.Alternatives()
	if len(alts) == 0 {
		return nil
	}
	var ways []string
	for _, name := range alts {
		if _, ok := body[name]; ok {
			return nil
		}
		if slices.Contains(route.Command.Args, name) {
			ways = append(ways, "a non-empty "+strings.ToUpper(name))
		} else {
			ways = append(ways, "-"+name)
		}
	}
	return usagef("%s needs %s", route.Command.Name, strings.Join(ways, " or "))
}

// putParam puts value into req's path or query, as p says.
func putParam(req *request, p spec.Param, value string) error {
	if p.In == spec.InPath {
		req.Path = strings.Replace(req.Path, "{"+p.Name+"}", url.PathEscape(value), 1)
		return nil
	}
	if value == "" {
		return nil
	}
	if p.Schema.Type == "integer" {
		// The range is the server's to judge; a word is not a number.
		if _, err := strconv.Atoi(value); err != nil {
			return usagef("-%s %q: not an integer", p.Name, value)
		}
	}
	if req.Query == nil {
		req.Query = url.Values{}
	}
	req.Query.Set(p.Name, value)
	return nil
}

// interleaved parses flags wherever they stand among the arguments, as in
// "publish lobby hi -user bot", and returns the arguments. "--" ends the
// flags. Every flag takes a value, as -name value or -name=value.
func interleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if name == "h" || name == "help" {
			return nil, flag.ErrHelp
		}
		if fs.Lookup(name) == nil {
			// Only the name: a mistyped -key=... must not print the key.
			return nil, usagef("unknown flag -%s (a TEXT that starts with \"-\" goes after \"--\")", name)
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, usagef("flag -%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			return nil, usagef("-%s: %v", name, err) // only -timeout can fail, never -key
		}
	}
	return pos, nil
}
