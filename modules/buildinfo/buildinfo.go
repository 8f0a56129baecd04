// Package buildinfo names the version and commit a binary of rt was built
// from, for `rt version`, the rt_build_info metric, the start-up line and
// the admin page.
//
// A release build stamps both (Taskfile's build does):
//
//	go build -ldflags "-X github.com/rtserver/rt/modules/buildinfo.version=v0.9.0 \
//	  -X github.com/rtserver/rt/modules/buildinfo.commit=$(git rev-parse HEAD)"
//
// Unstamped, they come from what the Go toolchain recorded: the module's
// version for `go install github.com/rtserver/rt@v0.9.0`, and the VCS
// revision (with "-dirty" for uncommitted changes) for a `go build` in a
// checkout. Neither known reads "devel" and "unknown".
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// Stamped with -ldflags -X; empty in an unstamped build.
var (
	version string
	commit  string
)

// Info is what a binary says about itself.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go"`
}

var read = sync.OnceValue(func() Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if info.Commit == "" {
			info.Commit = vcsRevision(bi.Settings)
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	return info
})

// Read is this binary's version, commit and Go version.
func Read() Info { return read() }

// vcsRevision is the commit `go build` recorded in a checkout, marked
// "-dirty" when the tree had uncommitted changes.
func vcsRevision(settings []debug.BuildSetting) string {
	var rev string
	var dirty bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}
