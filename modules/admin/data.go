package admin

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/nodes"
)

// opTimeout bounds a request's reads of Redis, as the API's own do.
const opTimeout = 5 * time.Second

var (
	errBadLimit = fiber.NewError(fiber.StatusBadRequest, "bad_message")
	errUnavail  = fiber.NewError(fiber.StatusServiceUnavailable, "unavailable")
)

// GET /api/admin/nodes → {"nodes":[...]}: each record without its rooms and
// samples, which the other routes serve.
func (d *data) listNodes(c *fiber.Ctx) error {
	list, err := d.list()
	if err != nil {
		return err
	}
	for i := range list {
		list[i].Busiest, list[i].Samples = nil, nil
	}
	return c.JSON(fiber.Map{"nodes": list})
}

// roomAnswer is one room of GET /api/admin/rooms.
type roomAnswer struct {
	Room    string   `json:"room"`
	Members int      `json:"members"`
	Users   []string `json:"users"`
}

// GET /api/admin/rooms?limit=N → {"rooms":[...]}: the rooms the nodes'
// records name, their sockets summed across nodes, the most first, each
// with its users from presence (across every node).
func (d *data) busiest(c *fiber.Ctx) error {
	limit, err := roomsLimit(c)
	if err != nil {
		return err
	}
	list, err := d.list()
	if err != nil {
		return err
	}
	members := map[string]int{}
	for _, n := range list {
		for _, r := range n.Busiest {
			members[r.Room] += r.Members
		}
	}
	rooms := make([]roomAnswer, 0, len(members))
	for room, m := range members {
		rooms = append(rooms, roomAnswer{Room: room, Members: m})
	}
	slices.SortFunc(rooms, func(a, b roomAnswer) int {
		return cmp.Or(cmp.Compare(b.Members, a.Members), cmp.Compare(a.Room, b.Room))
	})
	rooms = rooms[:min(limit, len(rooms))]
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	for i := range rooms {
		users, err := d.hub.Presence(ctx, rooms[i].Room)
		if err != nil {
			return errUnavail
		}
		rooms[i].Users = append([]string{}, users...)
	}
	return c.JSON(fiber.Map{"rooms": rooms})
}

// roomsLimit reads ?limit=, 1 to spec.MaxRoomsLimit, digits only, given at
// most once; spec.DefaultRoomsLimit when left out or empty.
func roomsLimit(c *fiber.Ctx) (int, error) {
	values := c.Context().QueryArgs().PeekMulti("limit")
	if len(values) > 1 {
		return 0, errBadLimit
	}
	if len(values) == 0 || len(values[0]) == 0 {
		return spec.DefaultRoomsLimit, nil
	}
	s := string(values[0])
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > spec.MaxRoomsLimit || strconv.Itoa(n) != s {
		return 0, errBadLimit
	}
	return n, nil
}

// seriesAnswer is one node's samples.
type seriesAnswer struct {
	ID      string         `json:"id"`
	Samples []nodes.Sample `json:"samples"`
}

// GET /api/admin/series → {"nodes":[{"id":..,"samples":[...]}]}.
func (d *data) series(c *fiber.Ctx) error {
	list, err := d.list()
	if err != nil {
		return err
	}
	out := make([]seriesAnswer, len(list))
	for i, n := range list {
		out[i] = seriesAnswer{ID: n.ID, Samples: append([]nodes.Sample{}, n.Samples...)}
	}
	return c.JSON(fiber.Map{"nodes": out})
}

// list reads the records; Redis away is 503 unavailable.
func (d *data) list() ([]nodes.Node, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	list, err := d.nodes.List(ctx)
	if err != nil {
		return nil, errUnavail
	}
	return list, nil
}
