package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// variable is one env-tagged field of Config.
type variable struct {
	field string // Go field name, as env.ParseError reports it
	name  string // environment variable
	def   string // envDefault
}

// variables lists Config's variables in declaration order; reports follow this
// order so the same mistakes always print the same way.
var variables = func() []variable {
	t := reflect.TypeFor[Config]()
	vs := make([]variable, 0, t.NumField())
	for f := range t.Fields() {
		if name := f.Tag.Get("env"); name != "" {
			vs = append(vs, variable{f.Name, name, f.Tag.Get("envDefault")})
		}
	}
	return vs
}()

// FromOS loads Config from the process environment.
func FromOS() (Config, error) {
	environ := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			environ[k] = v
		}
	}
	return Load(environ)
}

// Load reads Config from environ, applying defaults, and checks every value.
// On failure it returns a zero Config and one error per bad variable, joined
// with errors.Join so the message is one line per variable. An empty variable
// means "use the default", except an explicitly empty JWT_SECRET, which is an
// error: it is usually a secret store that failed to fill it in, and falling
// back to the public development secret would hide that.
func Load(environ map[string]string) (Config, error) {
	environ, clash := oldNames(environ)
	var c Config
	p := problems{environ: environ, lines: map[string]string{}}
	for name, line := range clash {
		p.addLine(name, line)
	}
	err := env.ParseWithOptions(&c, env.Options{
		Environment: environ,
		FuncMap:     map[reflect.Type]env.ParserFunc{reflect.TypeFor[time.Duration](): parseDuration},
	})
	if other := p.addParseErrors(err); other != nil {
		return Config{}, other
	}
	check(&c, &p)
	if err := p.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// renames maps the old name of a variable to its name now: the old one is
// still read when the new one is not set.
var renames = map[string]string{"MAX_TEXT_BYTES": "MAX_MESSAGE_BYTES"}

// oldNames returns environ with each old name's value under its new name,
// when only the old one is set. Both set to different values is a mistake,
// returned as a line under the new name: which one was meant is anyone's
// guess.
func oldNames(environ map[string]string) (map[string]string, map[string]string) {
	var out, clash map[string]string
	for old, name := range renames {
		v := environ[old]
		switch {
		case v == "":
			continue
		case environ[name] != "" && environ[name] != v:
			clash = map[string]string{name: fmt.Sprintf("%s=%q and %s=%q: %s is the old name of %s; set only %s",
				name, environ[name], old, v, old, name, name)}
			continue
		}
		if out == nil {
			out = maps.Clone(environ)
		}
		out[name] = v
	}
	if out == nil {
		return environ, clash
	}
	return out, clash
}

// problems collects at most one line per variable: the first rule a variable
// breaks is enough to fix it, and later checks would only repeat it.
type problems struct {
	environ map[string]string
	lines   map[string]string
}

func (p *problems) has(name string) bool { _, ok := p.lines[name]; return ok }

// add records that variable name breaks rule, showing its value.
func (p *problems) add(name, rule string) {
	p.addLine(name, fmt.Sprintf("%s=%s: %s", name, p.shown(name), rule))
}

func (p *problems) addLine(name, line string) {
	if !p.has(name) {
		p.lines[name] = line
	}
}

// raw is the value Load used for name: the environment's, or the default.
func (p *problems) raw(name string) string {
	if v := p.environ[name]; v != "" {
		return v
	}
	for _, v := range variables {
		if v.name == name {
			return v.def
		}
	}
	return ""
}

// shown renders a value for an error line; secrets never appear in logs.
func (p *problems) shown(name string) string {
	switch name {
	case "JWT_SECRET", "API_KEY", "HOOK_SECRET":
		return "<hidden>"
	case "REDIS_URL", "CONNECT_HOOK_URL", "PUBLISH_HOOK_URL", "WEBHOOK_URL":
		return strconv.Quote(MaskURL(p.raw(name)))
	}
	return strconv.Quote(p.raw(name))
}

// addParseErrors turns env's ParseErrors, which name the Go field, into lines
// naming the variable. Anything else is a bug in this package and is returned.
func (p *problems) addParseErrors(err error) error {
	if err == nil {
		return nil
	}
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("config: %w", err)
	}
	var other []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			other = append(other, e)
			continue
		}
		for _, v := range variables {
			if v.field == pe.Name {
				p.add(v.name, rules[v.name].text)
			}
		}
	}
	return errors.Join(other...)
}

// err joins the lines in declaration order, or returns nil.
func (p *problems) err() error {
	var errs []error
	for _, v := range variables {
		if line, ok := p.lines[v.name]; ok {
			errs = append(errs, errors.New(line))
		}
	}
	return errors.Join(errs...)
}
