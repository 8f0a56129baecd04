package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
)

// Server labels of a comparison run (-baseline, -bare): each row says
// which server it measured.
const (
	labelBaseline = "baseline" // the prebuilt binary given by -baseline
	labelThis     = "this"     // this checkout, built by the run
	labelBare     = "bare"     // the handshake floor given by -bare
)

// maxRounds bounds -rounds: a round of connect and idle side by side is
// minutes long already.
const maxRounds = 20

// target is one server a job runs against.
type target struct {
	Label string // "" when the run compares nothing: rows as they always were
	Bin   string
	Bare  bool // the bare floor: no rooms, no presence, no /readyz, flags instead of env
}

// comparing is whether rows are labelled by server.
func (p params) comparing() bool { return p.Baseline != "" || p.Bare != "" }

// targets are the servers job runs against in one round, in order: the
// baseline, this checkout (built as bin), then the bare floor for the
// scenarios that can measure it.
func (p params) targets(j job, bin string) []target {
	if !p.comparing() {
		return []target{{Bin: bin}}
	}
	var ts []target
	if p.Baseline != "" {
		ts = append(ts, target{Label: labelBaseline, Bin: p.Baseline})
	}
	ts = append(ts, target{Label: labelThis, Bin: bin})
	if p.Bare != "" && j.sc.bare {
		ts = append(ts, target{Label: labelBare, Bin: p.Bare, Bare: true})
	}
	return ts
}

// checkComparison checks -baseline, -bare and -rounds against the jobs,
// before anything is built or started.
func (p params) checkComparison(jobs []job) error {
	if p.Rounds < 1 || p.Rounds > maxRounds {
		return fmt.Errorf("-rounds must be in [1, %d]", maxRounds)
	}
	for _, f := range []struct{ flag, path string }{{"-baseline", p.Baseline}, {"-bare", p.Bare}} {
		if f.path == "" {
			continue
		}
		if err := checkExecutable(f.path); err != nil {
			return fmt.Errorf("%s: %w", f.flag, err)
		}
	}
	if p.Bare != "" && !slices.ContainsFunc(jobs, func(j job) bool { return j.sc.bare }) {
		return errors.New("-bare measures the connect and idle scenarios only; none of them is selected")
	}
	return nil
}

// checkExecutable is nil when path is a regular file someone may execute.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// label is how a log line names a run: "connect", or "connect [baseline,
// round 2/3]".
func (t target) label(round, rounds int) string {
	switch {
	case t.Label == "" && rounds == 1:
		return ""
	case t.Label == "":
		return fmt.Sprintf(" [round %d/%d]", round, rounds)
	case rounds == 1:
		return " [" + t.Label + "]"
	}
	return fmt.Sprintf(" [%s, round %d/%d]", t.Label, round, rounds)
}
