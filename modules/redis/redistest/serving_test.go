package redistest

import (
	"errors"
	"testing"
)

// A server started on a port another server holds is found out at once,
// whether it has exited on its bind failure yet or the other one answers:
// a test never shares a server by mistake.
func TestWaitServingFindsThePortTaken(t *testing.T) {
	held := Start(t)
	bin := Need(t, "redis-server")[0]
	cmd, err := launch(bin, held.Port, t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := waitServing(held.Port, cmd); !errors.Is(err, errPortTaken) {
		t.Fatalf("waitServing on a port another server holds: %v, want errPortTaken", err)
	}
	if err := waitServing(held.Port, held.cmd); err != nil {
		t.Fatalf("waitServing of the server that holds it: %v", err)
	}
}
