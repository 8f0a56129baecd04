package main

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestSourceCount(t *testing.T) {
	tests := []struct{ conns, want int }{
		{1, 1}, {2000, 1}, {10000, 1}, // every default run: 127.0.0.1 alone, as before
		{10001, 2}, {20000, 2}, {28232, 3}, {50000, 5}, {100000, 10},
		{10000 * 300, maxSources},
	}
	for _, tt := range tests {
		if got := sourceCount(tt.conns); got != tt.want {
			t.Errorf("sourceCount(%d) = %d, want %d", tt.conns, got, tt.want)
		}
	}
}

func TestSourceAssignment(t *testing.T) {
	for _, conns := range []int{1, 9999, 10000, 10001, 25000, 50000, 100000} {
		n := sourceCount(conns)
		per := make([]int, n)
		for i := range conns {
			per[sourceOf(i, n)]++
		}
		for k, c := range per {
			// No address above the budget, and the load even: at most one apart.
			if c > perSource || c < per[0]-1 {
				t.Errorf("%d conns: source %s carries %d (first %d), want at most %d and even", conns, sourceAddr(k), c, per[0], perSource)
			}
		}
	}
	for k, want := range map[int]string{0: "127.0.0.1", 1: "127.0.0.2", 4: "127.0.0.5", 253: "127.0.0.254"} {
		if got := sourceAddr(k).String(); got != want {
			t.Errorf("sourceAddr(%d) = %s, want %s", k, got, want)
		}
	}
}

func TestDialFuncsLeaveOneSourceToTheKernel(t *testing.T) {
	one, err := dialFuncs(1)
	if err != nil || len(one) != 1 || reflect.ValueOf(one[0]).Pointer() != reflect.ValueOf(dialLoopback).Pointer() {
		t.Errorf("dialFuncs(1) = %d funcs, %v; want dialLoopback alone", len(one), err)
	}
	five, err := dialFuncs(5)
	if err != nil || len(five) != 5 {
		t.Errorf("dialFuncs(5) = %d funcs, %v", len(five), err)
	}
}

// TestFleetDialsFromEverySource: the server sees each source address
// carry its share, and every client answers the pings it reads.
func TestFleetDialsFromEverySourceAndAnswersPings(t *testing.T) {
	srv := &fakeServer{ping: 50 * time.Millisecond}
	port := startFake(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const conns, sources = 9, 3
	f, err := newFleet(fleetConfig{ports: []int{port}, conns: conns, rooms: 3, prefix: "s", sources: sources})
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	if failed := f.dialAll(ctx, 3, 1); failed > 0 {
		t.Fatalf("%d dials failed: %v", failed, f.failsSnapshot())
	}
	if !waitUntil(ctx, time.Now().Add(10*time.Second), func() bool { return f.pings.Load() >= 3*conns && srv.pongs.Load() >= 3*conns }) {
		t.Fatalf("%d pings read, %d pongs received; want %d each", f.pings.Load(), srv.pongs.Load(), 3*conns)
	}
	f.close()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if want := "map[127.0.0.1:3 127.0.0.2:3 127.0.0.3:3]"; fmt.Sprint(srv.peers) != want {
		t.Errorf("connections by source = %v, want %s", srv.peers, want)
	}
}
