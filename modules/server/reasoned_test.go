package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/config"
)

// A ReasonedError is answered with its reason besides its code; the access
// line names the code only.
func TestReasonedError(t *testing.T) {
	var logs bytes.Buffer
	app := NewApp(config.Config{WriteTimeout: time.Second}, newRefusals(), slog.New(slog.NewTextHandler(&logs, nil)), 1024)
	app.Get("/x", func(*fiber.Ctx) error {
		return &ReasonedError{Status: fiber.StatusForbidden, Code: "hook_denied", Reason: `banned "for now"`}
	})
	resp, err := app.Test(httptest.NewRequest("GET", "/x", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 403 || string(body) != `{"error":"hook_denied","reason":"banned \"for now\""}` {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
	if line := logs.String(); !strings.Contains(line, "status=403") || !strings.Contains(line, "reason=hook_denied") || strings.Contains(line, "banned") {
		t.Errorf("access line %q", line)
	}
}
