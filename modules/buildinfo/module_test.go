package buildinfo

import (
	"testing"

	"github.com/rtserver/rt/modules/metrics/metricstest"
)

// rt_build_info is 1, with the build in its labels, as rt version prints
// it.
func TestBuildInfoMetricNamesTheBuild(t *testing.T) {
	info := Read()
	m := metricstest.Gather(t, collectors()...)
	if got := m.Value("rt_build_info", "version", info.Version, "commit", info.Commit, "goversion", info.GoVersion); got != 1 {
		t.Fatalf("rt_build_info{version=%q,commit=%q,goversion=%q} = %v, want 1; got %v",
			info.Version, info.Commit, info.GoVersion, got, m["rt_build_info"])
	}
}
