package main

import "context"

// scenario is one attack: its name, what it does, its default number of
// sockets (or workers) and the function that runs it into a result.
type scenario struct {
	name    string
	about   string
	sockets int
	unit    string
	run     func(ctx context.Context, e *env, s settings, r *result) error
}

var scenarios = []scenario{
	{"history", "a room of 200 messages of 4,096 '<'; sockets of one token that never read ask history.get limit 100 at 20/s each",
		4, "never-reading sockets", runHistory},
	{"since-hold", "never-reading sockets of one token join that room with since=<its oldest message> and stay",
		16, "never-reading sockets", runSinceHold},
	{"since-storm", "workers join that room with since=<oldest> and close right after the 101, as fast as they can (a new user each time)",
		16, "workers", runSinceStorm},
	{"fragments", "sockets send a text frame without FIN, then empty masked continuation frames as fast as they can; a bystander room at 20 msg/s, measured before and during",
		4, "sockets", runFragments},
	{"handshakes", "workers, one address and one token, handshake as fast as they can and close after the answer; the server's default handshake limits",
		16, "workers", runHandshakes},
}

func findScenario(name string) *scenario {
	for i := range scenarios {
		if scenarios[i].name == name {
			return &scenarios[i]
		}
	}
	return nil
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}
