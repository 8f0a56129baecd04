package app

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// With WEBHOOK_URL set the webhook's flusher and sender run in each
// backend, and they too are gone once the app stopped, as are the Redis
// queue's blocked reads.
func TestWebhookLeavesNoGoroutine(t *testing.T) {
	for _, tc := range backends() {
		t.Run(tc.name, func(t *testing.T) {
			backend := webhooktest.NewBackend(t, nil)
			t.Setenv("WEBHOOK_URL", backend.URL())
			t.Setenv("HOOK_SECRET", webhooktest.Secret)
			cfg := leakConfig(t, tc.redis(t))
			before := goleak.IgnoreCurrent()
			runAndStop(t, cfg)
			if err := findLeaks(append(leakOptions, before)...); err != nil {
				t.Fatal(err)
			}
		})
	}
}
