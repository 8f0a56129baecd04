package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtserver/rt/modules/bus/redisbus"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// errNoCluster is the answer to -cluster when a Redis binary is missing.
var errNoCluster = errors.New("-cluster needs redis-server and redis-cli on PATH: install them (Debian/Ubuntu: apt-get install redis-server redis-tools)")

// failoverMax bounds the wait for a killed master's replica to take over.
const failoverMax = 30 * time.Second

// pubsubKiller is what a pubsub-kill fault needs: one Redis, or every
// master of a cluster.
type pubsubKiller interface {
	// killPubSub closes the Pub/Sub connections and says how many, in words.
	killPubSub(ctx context.Context) (string, error)
}

// killPubSub on one Redis: CLIENT KILL TYPE pubsub.
func (r *redisCtl) killPubSub(ctx context.Context) (string, error) {
	n, err := r.killPubSubCount(ctx)
	if err != nil {
		return "", fmt.Errorf("CLIENT KILL TYPE pubsub: %w", err)
	}
	return fmt.Sprintf("CLIENT KILL TYPE pubsub closed %d connection(s)", n), nil
}

// redisCluster is the Redis Cluster a -cluster run started: 3 masters with
// a replica each, on loopback ports, gone with its temp dir at the end.
type redisCluster struct {
	c   *redistest.Cluster
	dir string
}

func startRedisCluster() (*redisCluster, error) {
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, errNoCluster
		}
	}
	dir, err := os.MkdirTemp("", "rt-chaos-cluster-")
	if err != nil {
		return nil, err
	}
	c, err := redistest.LaunchCluster(redistest.ClusterOptions{Dir: dir, Replicas: 1})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r := &redisCluster{c: c, dir: dir}
	var ms []string
	for _, m := range c.Masters() {
		ms = append(ms, fmt.Sprintf("%s (slots %v)", m.Addr(), m.Slots))
	}
	logf("redis: cluster of %d masters and %d replicas; masters %s", len(c.Masters()), len(c.Replicas()), strings.Join(ms, ", "))
	return r, nil
}

func (r *redisCluster) stop() {
	r.c.Stop()
	os.RemoveAll(r.dir)
}

// killPubSub runs CLIENT KILL TYPE pubsub on every live master. Redis 7.0
// counts a client with only sharded subscriptions (SSUBSCRIBE) as pubsub
// too; should one survive the kill all the same, it is found in the CLIENT
// LIST taken just before (sub, psub or ssub above 0) and killed by id.
func (r *redisCluster) killPubSub(ctx context.Context) (string, error) {
	var parts []string
	for _, m := range r.c.Masters() {
		before, err := r.subscribers(m)
		if err != nil {
			return "", err
		}
		msg, err := r.c.Do(m, "CLIENT", "KILL", "TYPE", "pubsub")
		if err != nil {
			return "", fmt.Errorf("CLIENT KILL TYPE pubsub on %s: %w", m.Addr(), err)
		}
		n, _ := msg.AsInt64()
		after, err := r.subscribers(m)
		if err != nil {
			return "", err
		}
		byID := 0
		for _, id := range before {
			if slices.Contains(after, id) {
				if _, err := r.c.Do(m, "CLIENT", "KILL", "ID", id); err == nil {
					byID++
				}
			}
		}
		part := fmt.Sprintf("%s: %d", m.Addr(), n)
		if byID > 0 {
			part += fmt.Sprintf(" + %d left subscribed, killed by id", byID)
		}
		parts = append(parts, part)
	}
	return "CLIENT KILL TYPE pubsub on every master closed " + strings.Join(parts, ", "), nil
}

// subscribers is the ids of node m's clients with a subscription.
func (r *redisCluster) subscribers(m redistest.Node) ([]string, error) {
	msg, err := r.c.Do(m, "CLIENT", "LIST")
	if err != nil {
		return nil, fmt.Errorf("CLIENT LIST on %s: %w", m.Addr(), err)
	}
	text, _ := msg.ToString()
	text = strings.TrimPrefix(text, "txt:")
	var ids []string
	for line := range strings.Lines(text) {
		var id string
		subscribed := false
		for f := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "id":
				id = v
			case "sub", "psub", "ssub":
				if n, _ := strconv.Atoi(v); n > 0 {
					subscribed = true
				}
			}
		}
		if subscribed && id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// slotOf is the hash slot of a room: its history key's, which is its
// channel's and its presence keys' too (the room is their hash tag).
func (r *redisCluster) slotOf(room string) (int, error) {
	return r.c.Slot(redisbus.StreamKey(room))
}

// masterOf is the master serving room now.
func (r *redisCluster) masterOf(room string) (redistest.Node, int, error) {
	slot, err := r.slotOf(room)
	if err != nil {
		return redistest.Node{}, 0, err
	}
	m, err := r.c.SlotMaster(slot)
	return m, slot, err
}

// roomsOn is the rooms whose slot master m serves.
func (r *redisCluster) roomsOn(m redistest.Node, rooms []string) []string {
	var out []string
	for _, room := range rooms {
		if n, _, err := r.masterOf(room); err == nil && n.ID == m.ID {
			out = append(out, room)
		}
	}
	return out
}

// moveSlot moves room's slot, with its keys, from its master to another
// one (the pick-th of the others, by port) and returns what it did.
func (r *redisCluster) moveSlot(room string, pick int) (string, error) {
	from, slot, err := r.masterOf(room)
	if err != nil {
		return "", err
	}
	var others []redistest.Node
	for _, m := range r.c.Masters() {
		if m.ID != from.ID {
			others = append(others, m)
		}
	}
	if len(others) == 0 {
		return "", errors.New("no other master to move the slot to")
	}
	to := others[pick%len(others)]
	t0 := time.Now()
	keys, err := r.c.MoveSlot(slot, from, to)
	if err != nil {
		return "", fmt.Errorf("slot %d of %s from %s to %s: %w", slot, room, from.Addr(), to.Addr(), err)
	}
	return fmt.Sprintf("slot %d (room %s) moved with its %d key(s) from %s to %s in %s", slot, room, keys, from.Addr(), to.Addr(),
		time.Since(t0).Round(time.Millisecond)), nil
}
