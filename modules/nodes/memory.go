package nodes

import (
	"context"
	"sync"
	"time"
)

// Memory is the Store of embedded mode: records in this process, each
// dropped when its ttl has passed, as Redis drops them.
type Memory struct {
	mu      sync.Mutex
	records map[string]memoryRecord
}

type memoryRecord struct {
	node    Node
	expires time.Time
}

// NewMemory is an empty store.
func NewMemory() *Memory { return &Memory{records: map[string]memoryRecord{}} }

func (m *Memory) Put(_ context.Context, n Node, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[n.ID] = memoryRecord{node: n, expires: time.Now().Add(ttl)}
	return nil
}

func (m *Memory) Remove(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, id)
	return nil
}

func (m *Memory) List(context.Context) ([]Node, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var out []Node
	for id, r := range m.records {
		if now.After(r.expires) {
			delete(m.records, id)
			continue
		}
		out = append(out, r.node)
	}
	return out, nil
}
