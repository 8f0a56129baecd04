//go:build !linux

package proc

import (
	"errors"
	"time"
)

// ErrLinuxOnly: the measurements read /proc, so they exist on Linux only;
// elsewhere the programs build (go vet ./... stays clean) and say why they
// cannot run.
var ErrLinuxOnly = errors.New("measuring a server through /proc: Linux only")

func RSS(int) (uint64, error)            { return 0, ErrLinuxOnly }
func CPUTime(int) (time.Duration, error) { return 0, ErrLinuxOnly }
func AllowedCPUs() ([]int, error)        { return nil, ErrLinuxOnly }
func PinSelf([]int) error                { return ErrLinuxOnly }
