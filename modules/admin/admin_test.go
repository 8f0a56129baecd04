package admin

import (
	"testing"

	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/nodes"
)

// What the rooms route's description says of the records is what they hold.
func TestTheRoutesDescriptionCountsWhatRecordsHold(t *testing.T) {
	if spec.BusiestPerNode != nodes.DefaultSettings.Busiest {
		t.Errorf("spec says %d rooms per node, records hold %d", spec.BusiestPerNode, nodes.DefaultSettings.Busiest)
	}
}

// Every embedded file is served, and nothing else is embedded.
func TestEveryFileIsServed(t *testing.T) {
	entries, err := static.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(files) || len(pages()) != len(files) {
		t.Errorf("%d embedded files, %d served", len(entries), len(files))
	}
}
