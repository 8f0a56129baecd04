package e2e

import (
	"testing"

	"github.com/rtserver/rt/modules/buildinfo"
)

// The assembled server exports rt_build_info, so a scrape tells which
// build each node runs.
func TestBuildInfoIsExported(t *testing.T) {
	n := startNode(t, testConfig())
	info := buildinfo.Read()
	checkMetrics(t, n.scrape(t), []want{
		{"rt_build_info", []string{"version", info.Version, "commit", info.Commit, "goversion", info.GoVersion}, 1},
	})
}
