//go:build !linux

package main

import (
	"errors"
	"time"
)

// The measurements read /proc, so they exist on Linux only; elsewhere the
// program builds (go vet ./... stays clean) and says why it cannot run.
var errLinuxOnly = errors.New("cmd/load measures the server through /proc: Linux only")

func selfCPUTime() time.Duration            { return 0 }
func raiseFileLimit(uint64) (uint64, error) { return 0, errLinuxOnly }
func cpuModel() string                      { return "unknown" }
func loadAverage() string                   { return "unknown" }
