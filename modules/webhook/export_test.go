package webhook

// Entries is how many entries m keeps, done ones included.
func Entries(m *Memory) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
