package subcommand

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rtserver/rt/config"
)

// probeTimeout bounds the whole request: a container runtime's health
// check runs it every few seconds and a hung server must read as
// unhealthy, not hang the check (Docker's own timeout is 30s by default).
const probeTimeout = 3 * time.Second

// healthcheck asks the rt configured by this environment for /healthz, the
// same HOST and PORT the server reads (config.FromOS, with its defaults).
func healthcheck(stderr io.Writer) int {
	cfg, err := config.FromOS()
	if err != nil {
		// One line: config reports one line per bad variable.
		fmt.Fprintf(stderr, "rt healthcheck: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return exitFail
	}
	target := "http://" + net.JoinHostPort(probeHost(cfg.Host), strconv.Itoa(cfg.Port)) + "/healthz"
	if err := probe(target); err != nil {
		fmt.Fprintf(stderr, "rt healthcheck: %s: %v\n", target, err)
		return exitFail
	}
	return exitOK
}

// probeHost is where a server listening on host answers this process: a
// specific address or name as it is; the unspecified addresses (listen
// everywhere) through loopback, which every interface includes.
func probeHost(host string) string {
	a, err := netip.ParseAddr(host)
	switch {
	case err != nil || !a.IsUnspecified():
		return host
	case a.Is4():
		return "127.0.0.1"
	default:
		return "::1"
	}
}

// probe GETs url and wants 200. No proxy from the environment (an
// HTTP_PROXY set for the application's hooks must not carry the probe
// elsewhere), no redirect followed, no connection kept.
func probe(target string) error {
	client := http.Client{
		Timeout:   probeTimeout,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Get(target)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the cause, without Go's `Get "…":` prefix
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %s, want 200", resp.Status)
	}
	return nil
}
