//go:build !linux

package main

func allowedCPUs() ([]int, error) { return nil, errLinuxOnly }
func pinSelf([]int) error         { return errLinuxOnly }
