package main

import (
	"context"
	"net"
	"strconv"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// startBare starts the bare handshake floor (a minimal Go server: gobwas/ws upgrade, jwt/v5, one frame, a goroutine per socket) on a
// free loopback port, pinned like rt. It takes its settings as flags: the
// secret rt's tokens are signed with here, and the origin the clients
// send. It has no /readyz: it is ready once the port accepts.
func startBare(ctx context.Context, bin string, pin pinning) (*server, error) {
	port, err := rtnode.FreePort()
	if err != nil {
		return nil, err
	}
	n, err := rtnode.Start(ctx, bin, rtnode.Options{
		Port: port, ExtraEnv: pin.env(), Name: "bare", Logf: logf, ReadyTCP: true,
		Command: pin.command,
		Args:    []string{"-listen", net.JoinHostPort(loopback, strconv.Itoa(port)), "-secret", jwtSecret, "-origin", origin},
	})
	if err != nil {
		return nil, err
	}
	return &server{Node: n, port: n.Port}, nil
}
