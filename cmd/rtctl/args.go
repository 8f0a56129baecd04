package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// request is one call of the server API.
type request struct {
	Method string
	Path   string     // escaped: each user-given segment goes through url.PathEscape
	Query  url.Values // nil for none
	Body   any        // sent as JSON when not nil
}

// publishBody and disconnectBody are the JSON the API reads.
type publishBody struct {
	User string `json:"user"`
	Text string `json:"text"`
}

type disconnectBody struct {
	Room   string `json:"room,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// invocation is a parsed command line.
type invocation struct {
	req     request
	addr    string // -addr; "" means API_ADDR
	key     string // -key; "" means API_KEY
	timeout time.Duration
}

// commands: each one's positional arguments and its own flags (besides
// -addr, -key and -timeout, which every command takes).
var commands = map[string]struct {
	args  []string
	flags []string
}{
	"publish":    {[]string{"ROOM", "TEXT"}, []string{"user"}},
	"presence":   {[]string{"ROOM"}, nil},
	"history":    {[]string{"ROOM"}, []string{"before", "limit"}},
	"disconnect": {[]string{"USER"}, []string{"room", "reason"}},
}

var globalFlags = []string{"addr", "key", "timeout"}

// usageError is a bad command line: exit status 2.
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, a ...any) error { return usageError(fmt.Sprintf(format, a...)) }

// parse reads a command line (without the program's name) into the request
// it asks for. It returns flag.ErrHelp for -h, -help or help.
func parse(args []string) (invocation, error) {
	var (
		inv                                     invocation
		user, before, limit, room, reason, name string
	)
	fs := flag.NewFlagSet("rtctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&inv.addr, "addr", "", "")
	fs.StringVar(&inv.key, "key", "", "")
	fs.DurationVar(&inv.timeout, "timeout", 10*time.Second, "")
	fs.StringVar(&user, "user", "system", "")
	fs.StringVar(&before, "before", "", "")
	fs.StringVar(&limit, "limit", "", "")
	fs.StringVar(&room, "room", "", "")
	fs.StringVar(&reason, "reason", "", "")

	pos, err := interleaved(fs, args)
	if err != nil {
		return inv, err
	}
	if len(pos) == 0 {
		return inv, usagef("no command: publish, presence, history or disconnect")
	}
	name, pos = pos[0], pos[1:]
	if name == "help" {
		return inv, flag.ErrHelp
	}
	cmd, ok := commands[name]
	if !ok {
		return inv, usagef("unknown command %q: publish, presence, history or disconnect", name)
	}
	var stray []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(cmd.flags, f.Name) && !slices.Contains(globalFlags, f.Name) {
			stray = append(stray, "-"+f.Name)
		}
	})
	if len(stray) > 0 {
		return inv, usagef("%s does not take %s", name, strings.Join(stray, ", "))
	}
	if len(pos) != len(cmd.args) {
		hint := ""
		if name == "publish" && len(pos) > len(cmd.args) {
			hint = " (quote a TEXT of several words)"
		}
		return inv, usagef("%s takes %s, got %d argument(s)%s", name, strings.Join(cmd.args, " and "), len(pos), hint)
	}
	for i, a := range pos {
		if a == "" {
			return inv, usagef("%s: %s is empty", name, cmd.args[i])
		}
	}
	if inv.timeout <= 0 {
		return inv, usagef("-timeout must be positive")
	}

	switch name {
	case "publish":
		inv.req = request{Method: "POST", Path: "/api/rooms/" + url.PathEscape(pos[0]) + "/messages",
			Body: publishBody{User: user, Text: pos[1]}}
	case "presence":
		inv.req = request{Method: "GET", Path: "/api/rooms/" + url.PathEscape(pos[0]) + "/presence"}
	case "history":
		inv.req = request{Method: "GET", Path: "/api/rooms/" + url.PathEscape(pos[0]) + "/history"}
		q := url.Values{}
		if before != "" {
			q.Set("before", before)
		}
		if limit != "" {
			// The range (1 to 100) is the server's to judge; a word is not a number.
			if _, err := strconv.Atoi(limit); err != nil {
				return inv, usagef("-limit %q: not an integer", limit)
			}
			q.Set("limit", limit)
		}
		if len(q) > 0 {
			inv.req.Query = q
		}
	case "disconnect":
		inv.req = request{Method: "POST", Path: "/api/users/" + url.PathEscape(pos[0]) + "/disconnect",
			Body: disconnectBody{Room: room, Reason: reason}}
	}
	return inv, nil
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
