package config

import (
	"strings"
	"testing"
	"time"
)

// Each hook URL must be an absolute http(s) URL; HOOK_SECRET is required
// with any of them, at least 16 characters, and never shown; a URL's
// password is masked in the message.
func TestLoadHooks(t *testing.T) {
	const secret = "0123456789abcdef"
	for _, tt := range []struct {
		env  map[string]string
		want string // the error, "" for none
	}{
		{map[string]string{}, ""},
		{map[string]string{"HOOK_SECRET": "short"}, ""}, // unused without a URL
		{map[string]string{"CONNECT_HOOK_URL": "http://127.0.0.1:9000/connect", "HOOK_SECRET": secret}, ""},
		{map[string]string{"PUBLISH_HOOK_URL": "https://backend.example/p?x=1", "HOOK_SECRET": secret}, ""},
		{map[string]string{"WEBHOOK_URL": "http://[::1]:9000/events", "HOOK_SECRET": secret}, ""},
		{map[string]string{"WEBHOOK_URL": "http://127.0.0.1:9000/events"},
			"HOOK_SECRET=<hidden>: must be set when CONNECT_HOOK_URL, PUBLISH_HOOK_URL or WEBHOOK_URL is set (it signs every request rt makes to them)"},
		{map[string]string{"CONNECT_HOOK_URL": "http://h/c", "HOOK_SECRET": "fifteen-chars-k"},
			"HOOK_SECRET=<hidden>: must be at least 16 characters"},
		{map[string]string{"CONNECT_HOOK_URL": "ftp://h/c", "HOOK_SECRET": secret},
			`CONNECT_HOOK_URL="ftp://h/c": scheme must be http or https`},
		{map[string]string{"PUBLISH_HOOK_URL": "backend:9000/p", "HOOK_SECRET": secret},
			`PUBLISH_HOOK_URL="backend:9000/p": scheme must be http or https`},
		{map[string]string{"PUBLISH_HOOK_URL": "/p", "HOOK_SECRET": secret},
			`PUBLISH_HOOK_URL="/p": scheme must be http or https`},
		{map[string]string{"WEBHOOK_URL": "http:///events", "HOOK_SECRET": secret},
			`WEBHOOK_URL="http:///events": must name a host, like https://backend.example/rt/hook`},
		{map[string]string{"WEBHOOK_URL": "http://h/e#x", "HOOK_SECRET": secret},
			`WEBHOOK_URL="http://h/e#x": must not have a #fragment`},
		{map[string]string{"WEBHOOK_URL": "http://u:hunter2@h:x/e", "HOOK_SECRET": secret},
			`WEBHOOK_URL="http://***@h:x/e": must be a URL like https://backend.example/rt/hook`},
		{map[string]string{"HOOK_TIMEOUT": "0"}, "HOOK_TIMEOUT=\"0\": " + durationRule},
		{map[string]string{"HOOK_CONCURRENCY": "0"}, `HOOK_CONCURRENCY="0": must be an integer from 1 to 10000`},
		{map[string]string{"WEBHOOK_BACKLOG": "0"}, `WEBHOOK_BACKLOG="0": must be an integer from 1 to 100000000`},
		{map[string]string{"HOOK_FAIL_OPEN": "maybe"}, `HOOK_FAIL_OPEN="maybe": must be true or false`},
	} {
		_, err := Load(tt.env)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%v:\n got %v\nwant %s", tt.env, err, tt.want)
		}
		if err != nil && tt.env["HOOK_SECRET"] != "" && strings.Contains(err.Error(), tt.env["HOOK_SECRET"]) {
			t.Errorf("HOOK_SECRET leaked: %v", err)
		}
	}
	c, err := Load(map[string]string{"HOOK_TIMEOUT": "250ms", "HOOK_FAIL_OPEN": "true", "WEBHOOK_BACKLOG": "10"})
	if err != nil || c.HookTimeout != 250*time.Millisecond || !c.HookFailOpen || c.WebhookBacklog != 10 {
		t.Errorf("got %+v, %v", c, err)
	}
	if c.Hooked() {
		t.Error("Hooked() without a URL")
	}
}

// A Config built by hand gets the hooks' defaults where it leaves their
// limits zero: a zero timeout or backlog would silently break the hooks.
func TestHookLimits(t *testing.T) {
	timeout, concurrency, backlog := Config{}.HookLimits()
	if timeout != DefaultHookTimeout || concurrency != DefaultHookConcurrency || backlog != DefaultWebhookBacklog {
		t.Errorf("zero config: %v %d %d", timeout, concurrency, backlog)
	}
	timeout, concurrency, backlog = Config{HookTimeout: time.Second, HookConcurrency: 3, WebhookBacklog: 7}.HookLimits()
	if timeout != time.Second || concurrency != 3 || backlog != 7 {
		t.Errorf("set config: %v %d %d", timeout, concurrency, backlog)
	}
}
