package presence_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/presence"
)

// BenchmarkMemoryJoinLeave is a connection joining a room of 100 users
// (one connection each) on an embedded node, as a handshake does, and
// leaving it: a new user, or a second connection of a present one.
func BenchmarkMemoryJoinLeave(b *testing.B) {
	for _, tc := range []struct {
		name string
		user func(i int) string
	}{
		{"new user", func(i int) string { return fmt.Sprintf("new-%04d", i%1024) }},
		{"present user", func(i int) string { return fmt.Sprintf("user-%04d", i%100) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m := presence.NewMemory(time.Minute)
			ctx := b.Context()
			for i := range 100 {
				if _, err := m.JoinAll(ctx, []presence.Entry{{Room: "bench", User: fmt.Sprintf("user-%04d", i), Conn: fmt.Sprintf("c%d", i)}}); err != nil {
					b.Fatal(err)
				}
			}
			entries := make([][]presence.Entry, 1024)
			for i := range entries {
				entries[i] = []presence.Entry{{Room: "bench", User: tc.user(i), Conn: fmt.Sprintf("conn-%04d", i)}}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e := entries[i%len(entries)]
				if _, err := m.JoinAll(ctx, e); err != nil {
					b.Fatal(err)
				}
				if _, err := m.LeaveAll(ctx, e); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
