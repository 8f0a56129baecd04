package api

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/server"
)

// opTimeout bounds one backend call, as it bounds a client's.
const opTimeout = 5 * time.Second

// Backend is what the API asks of the hub.
type Backend interface {
	Publish(ctx context.Context, room, user string, m hub.Content) (hub.Published, error)
	SendToUser(ctx context.Context, user string, m hub.Content) (hub.Published, error)
	Presence(ctx context.Context, room string) ([]string, error)
	Page(ctx context.Context, room, before string, limit int) ([]byte, error)
	Disconnect(ctx context.Context, user, room, reason string) error
}

var (
	errBadRoom  = fiber.NewError(fiber.StatusBadRequest, "bad_room")
	errBadQuery = fiber.NewError(fiber.StatusBadRequest, string(protocol.CodeBadMessage))
	errBadUser  = fiber.NewError(fiber.StatusBadRequest, string(protocol.CodeBadMessage))
	errUnavail  = fiber.NewError(fiber.StatusServiceUnavailable, string(protocol.CodeUnavailable))
	errRejected = fiber.NewError(fiber.StatusForbidden, string(protocol.CodeRejected))
)

// POST /api/rooms/{room}/messages {"user":..,"text"?:..,"data"?:..} → 201
// {"id":..,"ts":..}
func (a *api) publish(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	user, m, perr := decodePublish(rawBody(c))
	if perr != nil {
		return refusal(perr)
	}
	if protocol.ValidUser(user) { // the access line names a valid user only
		c.Locals(server.LocalUser, user)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	p, err := a.backend.Publish(ctx, room, user, m)
	if err != nil {
		return a.failed(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

// POST /api/users/{user}/messages {"text"?:..,"data"?:..} → 202
// {"user":..,"id":..,"ts":..}: a user.message to every socket of the user.
func (a *api) send(c *fiber.Ctx) error {
	user, err := userParam(c)
	if err != nil {
		return err
	}
	m, perr := decodeMessage(rawBody(c))
	if perr != nil {
		return refusal(perr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	p, err := a.backend.SendToUser(ctx, user, m)
	if err != nil {
		return a.failed(c, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(sent{User: user, ID: p.ID, TS: p.TS})
}

type sent struct {
	User string `json:"user"`
	ID   string `json:"id"`
	TS   int64  `json:"ts"`
}

// GET /api/rooms/{room}/presence → {"room":..,"users":[..]}
func (a *api) presence(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	users, err := a.backend.Presence(ctx, room)
	if err != nil {
		return a.failed(c, err)
	}
	if users == nil {
		users = []string{}
	}
	return c.JSON(presenceState{Room: room, Users: users})
}

type presenceState struct {
	Room  string   `json:"room"`
	Users []string `json:"users"`
}

// GET /api/rooms/{room}/history?before=<id>&limit=<n> → the history.page
// object a socket's history.get gets.
func (a *api) history(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	before, limit, err := pageQuery(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	page, err := a.backend.Page(ctx, room, before, limit)
	if err != nil {
		return a.failed(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(page)
}

// POST /api/users/{user}/disconnect {"room":..,"reason":..} (body optional)
// → 202 {"user":..,"room":..}; "room":"" means every room.
func (a *api) disconnect(c *fiber.Ctx) error {
	user, err := userParam(c)
	if err != nil {
		return err
	}
	body, perr := decodeDisconnect(rawBody(c))
	if perr != nil {
		return refusal(perr)
	}
	if protocol.ValidRoom(body.Room) {
		c.Locals(server.LocalRoom, body.Room)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := a.backend.Disconnect(ctx, user, body.Room, body.Reason); err != nil {
		return a.failed(c, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(disconnected{User: user, Room: body.Room})
}

type disconnected struct {
	User string `json:"user"`
	Room string `json:"room"`
}

// GET /api/openapi.json, the one route served without the key: the
// document generated from the route table.
func (a *api) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(spec.Document())
}

// param is the path parameter name, percent-decoded (a user id may hold
// any character but a control one, "/" included), and copied: Fiber's
// strings point into the request's buffer.
func param(c *fiber.Ctx, name string) (string, bool) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return "", false
	}
	return strings.Clone(v), true
}

// roomParam is the {room} of the path, once it is a valid room name; the
// access line names it.
func roomParam(c *fiber.Ctx) (string, error) {
	room, ok := param(c, "room")
	if !ok || !protocol.ValidRoom(room) {
		return "", errBadRoom
	}
	c.Locals(server.LocalRoom, room)
	return room, nil
}

// userParam is the {user} of the path, once it is a valid user id; the
// access line names it.
func userParam(c *fiber.Ctx) (string, error) {
	user, ok := param(c, "user")
	if !ok || !protocol.ValidUser(user) {
		return "", errBadUser
	}
	c.Locals(server.LocalUser, user)
	return user, nil
}

// pageQuery reads ?before=<id>&limit=<n> with history.get's rules: before
// a message id, limit an integer from 1 to MaxPageLimit without leading
// zeros. Either may be left out or empty (the newest; DefaultPageLimit); a
// parameter given twice is refused rather than one of its values guessed.
func pageQuery(c *fiber.Ctx) (before string, limit int, err error) {
	args := c.Context().QueryArgs()
	if len(args.PeekMulti("before")) > 1 || len(args.PeekMulti("limit")) > 1 {
		return "", 0, errBadQuery
	}
	before = string(args.Peek("before"))
	if before != "" && !protocol.ValidID(before) {
		return "", 0, errBadQuery
	}
	limit = protocol.DefaultPageLimit
	if s := string(args.Peek("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > protocol.MaxPageLimit || s[0] < '1' || s[0] > '9' {
			return "", 0, errBadQuery
		}
		limit = n
	}
	return before, limit, nil
}

// refusal is the 400 for a request the hub or the decoder refused, with
// the socket protocol's code.
func refusal(e *protocol.Error) error {
	return fiber.NewError(fiber.StatusBadRequest, string(e.Code))
}

// failed answers a backend error: the caller's fault (a *protocol.Error)
// is a 400 with its code, but for the publish hook's answers, a refusal
// (403 rejected) and no answer (503 unavailable, logged by the hook);
// anything else means the backend is away (503 unavailable, logged without
// anything from the request's body).
func (a *api) failed(c *fiber.Ctx, err error) error {
	var pe *protocol.Error
	switch {
	case errors.As(err, &pe) && pe.Code == protocol.CodeRejected:
		return errRejected
	case pe != nil && pe.Code == protocol.CodeUnavailable:
		return errUnavail
	case pe != nil:
		return refusal(pe)
	}
	a.log.Warn("server API: backend unavailable", "route", c.Route().Path, "err", err)
	return errUnavail
}

// rawBody is the request body as it came. Fiber's Body would decode a
// Content-Encoding (gzip, deflate, br) without a bound on the result, so
// that 64 KiB could become gigabytes; the API reads JSON as is, and a
// compressed body is not JSON (bad_json).
func rawBody(c *fiber.Ctx) []byte { return c.Request().Body() }
