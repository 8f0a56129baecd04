package spec

import (
	"net/http"
	"strconv"
)

// The admin page's routes (modules/admin serves them): what the page shows,
// for a script too.
var adminRoutes = []Route{
	{
		ID: "nodes", Method: http.MethodGet, Path: "/api/admin/nodes", Module: "admin",
		Summary: "The live nodes",
		Description: "Every node that reported itself within the last 15 s (every 5 s; a node that stops cleanly " +
			"is gone at once): in redis mode every node sharing the Redis, in embedded mode this one. This node's " +
			"figures are as of the request, the others' as of their last report.",
		OK:       Answer{http.StatusOK, "The nodes, sorted by id.", Ref("Nodes")},
		Failures: []Failure{unauthorized, unavailable},
		Command:  Command{Name: "nodes", Help: "the live nodes: version, connections, rooms, Redis"},
	},
	{
		ID: "rooms", Method: http.MethodGet, Path: "/api/admin/rooms", Module: "admin",
		Summary: "The busiest rooms, across every node",
		Description: "Each node's record names its " + strconv.Itoa(BusiestPerNode) + " rooms with the most sockets; " +
			"their counts are summed across nodes, and the top `limit` rooms are listed with their users (presence, " +
			"across every node). A room that is busy on no node's list is not seen.",
		Params:   []Param{roomsLimitParam},
		OK:       Answer{http.StatusOK, "The rooms, the most sockets first.", Ref("Rooms")},
		Failures: []Failure{{Status: http.StatusBadRequest, Codes: []Code{{"bad_message", "`limit` is not an integer from 1 to " + strconv.Itoa(MaxRoomsLimit) + "."}}}, unauthorized, unavailable},
		Command: Command{Name: "rooms", Flags: []Flag{{Name: "limit", Meta: "N"}},
			Help: "the N busiest rooms (default " + strconv.Itoa(DefaultRoomsLimit) + ") and their users, on every node"},
	},
	{
		ID: "series", Method: http.MethodGet, Path: "/api/admin/series", Module: "admin",
		Summary: "Each node's recent samples, for charts",
		Description: "Every live node's samples, one every 5 s over the last 15 minutes, oldest first: messages " +
			"published and room frames delivered per second, the 99th percentile of delivery latency and the " +
			"connections, read from the same counters as /metrics.",
		OK:       Answer{http.StatusOK, "The samples of each node.", Ref("Series")},
		Failures: []Failure{unauthorized, unavailable},
		Command:  Command{Name: "series", Help: "each node's samples over the last 15 minutes"},
	},
}

// The bounds of the rooms route's limit.
const (
	DefaultRoomsLimit = 10
	MaxRoomsLimit     = 100
	BusiestPerNode    = 20 // how many rooms a node record names: nodes.DefaultSettings.Busiest (a test holds them equal)
)

var roomsLimitParam = Param{
	Name: "limit", In: InQuery,
	Description: "How many rooms at most, an integer from 1 to " + strconv.Itoa(MaxRoomsLimit) +
		". Left out or empty: " + strconv.Itoa(DefaultRoomsLimit) + ".",
	Schema: Schema{Type: "integer", Minimum: 1, Maximum: MaxRoomsLimit, Default: DefaultRoomsLimit},
}

var nodeSchema = Schema{Type: "object", Required: []string{"id", "version", "started_at", "last_seen", "connections", "rooms", "backend"},
	Properties: map[string]Schema{
		"id":               {Type: "string", Description: "The node's id: its host name and random hex, new at each start."},
		"version":          {Type: "string"},
		"commit":           {Type: "string"},
		"go":               {Type: "string", Description: "The Go version it was built with."},
		"started_at":       {Type: "integer", Description: "Unix milliseconds."},
		"last_seen":        {Type: "integer", Description: "Unix milliseconds: when its record was made."},
		"addr":             {Type: "string", Description: "Its public listener, host:port."},
		"connections":      {Type: "integer"},
		"rooms":            {Type: "integer", Description: "Rooms with a socket on this node."},
		"messages_total":   {Type: "integer", Description: "Chat messages it published since it started."},
		"deliveries_total": {Type: "integer", Description: "Room frames it queued to its sockets since it started."},
		"backend": {Type: "object", Required: []string{"mode", "status"}, Properties: map[string]Schema{
			"mode":        {Type: "string", Enum: []string{"embedded", "redis", "cluster"}},
			"status":      {Type: "string", Description: "\"ok\", or why the readiness check failed."},
			"shards":      {Type: "integer", Description: "A cluster's masters serving slots."},
			"shards_down": {Type: "array", Items: &Schema{Type: "string"}, Description: "Those that do not answer."},
		}},
	}}

// The admin routes' answers, among Schemas.
var (
	nodesAnswer = Schema{Type: "object", Required: []string{"nodes"}, Properties: map[string]Schema{
		"nodes": {Type: "array", Items: &nodeSchema},
	}}
	roomsAnswer = Schema{Type: "object", Required: []string{"rooms"}, Properties: map[string]Schema{
		"rooms": {Type: "array", Items: &Schema{Type: "object", Required: []string{"room", "members", "users"}, Properties: map[string]Schema{
			"room":    {Type: "string"},
			"members": {Type: "integer", Description: "Sockets in the room, summed over the nodes that list it."},
			"users":   {Type: "array", Items: &Schema{Type: "string"}, Description: "Its users on every node, sorted (presence)."},
		}}},
	}}
	seriesAnswer = Schema{Type: "object", Required: []string{"nodes"}, Properties: map[string]Schema{
		"nodes": {Type: "array", Items: &Schema{Type: "object", Required: []string{"id", "samples"}, Properties: map[string]Schema{
			"id": {Type: "string"},
			"samples": {Type: "array", Items: &Schema{Type: "object", Properties: map[string]Schema{
				"t":           {Type: "integer", Description: "Unix milliseconds: the end of the interval."},
				"messages":    {Type: "number", Description: "Chat messages published per second."},
				"deliveries":  {Type: "number", Description: "Room frames delivered per second."},
				"p99_ms":      {Type: "number", Description: "Delivery latency's 99th percentile, in ms; 0 with nothing delivered."},
				"connections": {Type: "integer"},
			}}},
		}}},
	}}
)
