package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// errPortTaken: the redis-server started has exited, or another process
// answers on its port. Ports are chosen free a moment before the server
// binds them, and other tests (in this process or another package's) pick
// ports too, so now and then two pick the same one: the caller then starts
// over on fresh ports rather than sharing a server by mistake.
var errPortTaken = errors.New("the port was taken by another process")

// launchAttempts bounds the fresh starts after errPortTaken.
const launchAttempts = 5

// waitServing waits up to 10s until the redis-server that cmd started
// answers on port, and says errPortTaken as soon as it is clear that it
// will not: it exited (a bind failure), or another server answers there.
func waitServing(port int, cmd *exec.Cmd) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if exited(cmd) {
			return fmt.Errorf("redis-server on %s: %w", addr(port), errPortTaken)
		}
		if pid, err := processID(port); err == nil {
			if pid != cmd.Process.Pid {
				return fmt.Errorf("%s answers as pid %d, not %d: %w", addr(port), pid, cmd.Process.Pid, errPortTaken)
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server did not listen on %s within 10s", addr(port))
}

// processID asks the Redis on port for its process_id (INFO server), over
// a bare connection: a client library would retry and cache what this
// must see fresh.
func processID(port int) (int, error) {
	conn, err := net.DialTimeout("tcp", addr(port), 100*time.Millisecond)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")); err != nil {
		return 0, err
	}
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "process_id:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no process_id in INFO server from %s: %v", addr(port), lines.Err())
}

// exited says whether cmd's process has ended (a zombie not yet waited
// for). Only Linux says so, through /proc; elsewhere the 10s wait decides.
func exited(cmd *exec.Cmd) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "pid (comm) Z ..."
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
