package e2e

import (
	"strings"
	"testing"

	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/logging/logtest"
)

// panickyVerifier panics on one magic token, standing in for any bug on a
// connection's goroutine.
type panickyVerifier struct{ auth.Verifier }

func (p panickyVerifier) Verify(token string) (auth.Claims, error) {
	if token == "boom" {
		panic("verifier bug")
	}
	return p.Verifier.Verify(token)
}

func TestPanicClosesOnlyThatConnectionWith1011(t *testing.T) {
	logs := &logtest.Buffer{}
	n := startNode(t, testConfig(), logTo(logs), fx.Decorate(func(v auth.Verifier) auth.Verifier { return panickyVerifier{v} }))

	bystander := dial(t, n, "test", "bob")
	bystander.ready()
	victim := dial(t, n, "test", "alice")
	victim.ready()
	victim.send(map[string]string{"type": "auth.refresh", "token": "boom"})
	if code := victim.closeCode(); code != 1011 {
		t.Fatalf("close code %d, want 1011", code)
	}
	bystander.chat("still here")
	bystander.expect("chat.delivery", "presence.join", "presence.leave")
	if got := strings.Count(logs.String(), "verifier bug"); got != 1 {
		t.Fatalf("panic logged %d times, want once:\n%s", got, logs.String())
	}
}
