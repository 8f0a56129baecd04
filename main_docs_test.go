package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/rtserver/rt/config"
)

// docPages are the pages a reader walks: the README, the changelog and
// everything in docs/.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md", "CHANGELOG.md"}, pages...)
}

// TestDocsLinksResolve: every relative link in the README and docs/*.md
// names a file that exists, and a link with a #fragment into a Markdown
// page names one of that page's headings, as GitHub makes their anchors.
func TestDocsLinksResolve(t *testing.T) {
	anchors := map[string]map[string]bool{} // page path -> its heading anchors
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a := headingAnchors(string(text))
		anchors[path] = a
		return a
	}
	links := 0
	for _, page := range docPages(t) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range markdownLinks(string(text)) {
			if isExternal(target) {
				continue
			}
			links++
			file, fragment, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
				if _, err := os.Stat(path); err != nil {
					t.Errorf("%s: link %q: no file %s", page, target, path)
					continue
				}
			}
			if fragment == "" || !strings.HasSuffix(path, ".md") {
				continue
			}
			if !anchorsOf(path)[fragment] {
				t.Errorf("%s: link %q: %s has no heading with anchor #%s", page, target, path, fragment)
			}
		}
	}
	if links == 0 {
		t.Fatal("no relative link found: the link reader is broken")
	}
}

// TestDocsConfigurationComplete: docs/configuration.md has one row for each
// environment variable config reads (the env tags of config.Config), with its
// default, and no row for a variable config does not read. A field added to
// the config without a row fails here.
func TestDocsConfigurationComplete(t *testing.T) {
	text, err := os.ReadFile("docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := configRows(string(text))
	if len(documented) == 0 {
		t.Fatal("docs/configuration.md: no variable rows found")
	}
	read := envVariables(reflect.TypeFor[config.Config]())
	if len(read) == 0 {
		t.Fatal("config.Config has no env tags: the reader is broken")
	}
	for name, def := range read {
		row, ok := documented[name]
		switch {
		case !ok:
			t.Errorf("config reads %s, but docs/configuration.md has no row for it", name)
		case def != "" && !strings.Contains(row.def, "`"+def+"`"):
			t.Errorf("docs/configuration.md: %s: default cell %q does not give config's default `%s`", name, row.def, def)
		case row.count > 1:
			t.Errorf("docs/configuration.md: %s has %d rows", name, row.count)
		}
	}
	for name := range documented {
		if _, ok := read[name]; !ok {
			t.Errorf("docs/configuration.md documents %s, which config does not read", name)
		}
	}
}

// TestDocsAnchors pins the anchor rule the link test relies on, against
// anchors GitHub gives these headings.
func TestDocsAnchors(t *testing.T) {
	for heading, want := range map[string]string{
		"## Two commands":                          "two-commands",
		"### 3. Two nodes with Redis":              "3-two-nodes-with-redis",
		"### Handshake: `GET /ws/:room?token=JWT`": "handshake-get-wsroomtokenjwt",
		"### `system.error` codes":                 "systemerror-codes",
		"## One message's path":                    "one-messages-path",
		"## Performance and attacks":               "performance-and-attacks",
		"### Not reached, and why":                 "not-reached-and-why",
		"## [The docs](README.md)":                 "the-docs",
	} {
		if got := headingAnchors(heading + "\n"); !got[want] {
			t.Errorf("%q: anchors %v, want %q", heading, got, want)
		}
	}
	got := headingAnchors("# A\n## A\n```sh\n# not a heading\n```\n## A\n")
	for _, want := range []string{"a", "a-1", "a-2"} {
		if !got[want] {
			t.Errorf("repeated headings: anchors %v, want %q", got, want)
		}
	}
	if got["not-a-heading"] {
		t.Error("a # line in a code block counted as a heading")
	}
}

var (
	fence      = regexp.MustCompile("^\\s*(```|~~~)")
	codeSpan   = regexp.MustCompile("`[^`\n]*`")
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLink    = regexp.MustCompile(`(?m)^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	heading    = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	configRow  = regexp.MustCompile("(?m)^\\|\\s*`([A-Z][A-Z0-9_]*)`\\s*\\|([^|]*)\\|")
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// prose returns text without fenced code blocks and code spans, where
// link and heading syntax is only text.
func prose(text string) string {
	var b strings.Builder
	inFence := false
	for line := range strings.Lines(text) {
		if fence.MatchString(line) {
			inFence = !inFence
			b.WriteString("\n")
			continue
		}
		if inFence {
			b.WriteString("\n")
			continue
		}
		b.WriteString(line)
	}
	return codeSpan.ReplaceAllString(b.String(), "code")
}

// markdownLinks returns the targets of a page's inline links and images
// and of its link reference definitions.
func markdownLinks(text string) []string {
	text = prose(text)
	var out []string
	for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	for _, m := range refLink.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

func isExternal(target string) bool {
	return scheme.MatchString(target) || strings.HasPrefix(target, "//")
}

// headingAnchors returns the anchors GitHub gives a page's headings:
// the heading's text lower-cased, without punctuation other than hyphens
// and underscores, spaces made hyphens, and -1, -2… after repeats.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for line := range strings.Lines(text) {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		m := heading.FindStringSubmatch(strings.TrimRight(line, "\n"))
		if inFence || m == nil {
			continue
		}
		title := inlineLink.ReplaceAllStringFunc(m[2], func(l string) string {
			return l[strings.Index(l, "[")+1 : strings.Index(l, "]")]
		})
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

type configDoc struct {
	def   string // the default cell
	count int    // rows naming the variable
}

// configRows returns the variables of docs/configuration.md's tables: rows
// whose first cell is a variable name in backquotes.
func configRows(text string) map[string]configDoc {
	rows := map[string]configDoc{}
	for _, m := range configRow.FindAllStringSubmatch(text, -1) {
		d := rows[m[1]]
		if d.count == 0 {
			d.def = strings.TrimSpace(m[2])
		}
		d.count++
		rows[m[1]] = d
	}
	return rows
}

// envVariables returns the variables a config struct reads, by their env
// tags, with their envDefault; nested structs are read too.
func envVariables(t reflect.Type) map[string]string {
	vars := map[string]string{}
	for f := range t.Fields() {
		name := f.Tag.Get("env")
		switch {
		case name != "":
			vars[name] = f.Tag.Get("envDefault")
		case f.Type.Kind() == reflect.Struct && f.IsExported():
			prefix := f.Tag.Get("envPrefix")
			for n, d := range envVariables(f.Type) {
				vars[prefix+n] = d
			}
		}
	}
	return vars
}
