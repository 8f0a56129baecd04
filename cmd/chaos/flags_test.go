package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	flagOutput = io.Discard
	t.Cleanup(func() { flagOutput = os.Stderr })
	p, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Duration != time.Minute || p.Rooms != 6 || p.Clients != 8 || p.Rate != 3 || p.Seed != 0 || p.RedisURL != "" || p.JSON {
		t.Errorf("defaults: %+v", p)
	}
	p, err = parseFlags([]string{"-duration", "8s", "-seed", "7", "-rooms", "2", "-clients", "4", "-json"})
	if err != nil || p.Duration != 8*time.Second || p.Seed != 7 || p.Rooms != 2 || p.Clients != 4 || !p.JSON || p.historySize() < 8*4*3 {
		t.Errorf("given: %+v, %v", p, err)
	}
	for _, args := range [][]string{
		{"-duration", "1s"}, {"-duration", "2h"}, {"-rooms", "0"}, {"-clients", "1"}, {"-rate", "0"}, {"-rate", "50"}, {"-history", "-1"},
		{"stray"}, {"-nope"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestServerEnvHoldsTheRun(t *testing.T) {
	for _, p := range []params{
		{Duration: time.Minute, Rooms: 6, Clients: 8, Rate: 3},
		{Duration: 8 * time.Second, Rooms: 2, Clients: 2, Rate: 1},
		{Duration: 30 * time.Minute, Rooms: 1, Clients: 100, Rate: 20},
	} {
		env := p.serverEnv()
		h, _ := strconv.Atoi(env["HISTORY_SIZE"])
		q, _ := strconv.Atoi(env["SEND_QUEUE"])
		if most := int(float64(p.Clients) * p.Rate * p.Duration.Seconds()); h < most || q < h {
			t.Errorf("%+v: HISTORY_SIZE %d, SEND_QUEUE %d for at most %d messages a room", p, h, q, most)
		}
		if limit, _ := strconv.Atoi(env["RATE_LIMIT"]); float64(limit) < p.Rate*2 {
			t.Errorf("%+v: RATE_LIMIT %d throttles the senders", p, limit)
		}
	}
}

func TestNoRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no redis-server on it
	p := params{Duration: 5 * time.Second, Rooms: 1, Clients: 2, Rate: 1}
	if _, err := run(context.Background(), p); !errors.Is(err, errNoRedis) {
		t.Errorf("run without redis-server: %v, want %v", err, errNoRedis)
	}
	if _, err := run(context.Background(), params{RedisURL: "redis://10.1.2.3:6379"}); err == nil {
		t.Error("a Redis off loopback was accepted")
	}
}
