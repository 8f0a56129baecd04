package proc

import (
	"slices"
	"testing"
)

func TestCPUMaskRoundTrip(t *testing.T) {
	for _, cpus := range [][]int{{0}, {1}, {0, 1, 2}, {63, 64, 65}, {5, 1023}} {
		if got := maskOf(cpus).cpus(); !slices.Equal(got, cpus) {
			t.Errorf("maskOf(%v).cpus() = %v", cpus, got)
		}
	}
}

func TestPinSelfToWhatIsAllowed(t *testing.T) {
	cpus, err := AllowedCPUs()
	if err != nil || len(cpus) == 0 {
		t.Fatalf("AllowedCPUs = %v, %v", cpus, err)
	}
	// Pinning to every allowed CPU changes nothing but must succeed.
	if err := PinSelf(cpus); err != nil {
		t.Fatal(err)
	}
	if got, _ := AllowedCPUs(); !slices.Equal(got, cpus) {
		t.Errorf("after PinSelf(%v), allowed = %v", cpus, got)
	}
}
