package presence

import "time"

// What the tests in package presence_test need from inside the package.

// RetryMin is how soon the tracker retries a failed refresh.
const RetryMin = retryMin

// Advance moves the store's clock d on, so the store contract
// (presencetest.Run) expires entries without waiting.
func (m *Memory) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now
	m.now = func() time.Time { return now().Add(d) }
}

// Rooms is how many rooms the store holds entries for.
func (m *Memory) Rooms() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}
