package bus

import "testing"

// PublishAll sends a batch in order with one round trip; a message the
// envelope cannot carry is refused in its place and the rest still go.
func TestRedisPublishAllInOrder(t *testing.T) {
	b, _ := startRedisBus(t)
	r := newRecorder()
	subscribe(t, b, "batch", r)
	errs := b.PublishAll(t.Context(), []Message{
		{Room: "batch", ID: "1", At: 1, Frame: []byte("one")},
		{Room: "batch", ID: "2", At: -1, Frame: []byte("refused")},
		{Room: "batch", ID: "3", At: 3, Frame: []byte("two")},
		{Room: "batch", ID: "4", At: 4, Frame: []byte("three")},
	})
	if errs[0] != nil || errs[1] == nil || errs[2] != nil || errs[3] != nil {
		t.Fatalf("errors %v", errs)
	}
	r.waitFor(t, "three")
	r.want(t, "batch", "one", "two", "three")
}
