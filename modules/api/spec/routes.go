package spec

import (
	"net/http"
	"strconv"

	"github.com/rtserver/rt/modules/protocol"
)

// Routes is every route the API serves, in the order rtctl -h lists them.
var Routes = append([]Route{
	{
		ID: "publish", Method: http.MethodPost, Path: "/api/rooms/{room}/messages",
		Summary: "Publish a message into a room",
		Description: "Publishes exactly as a client's chat.message would: every member of the room on every node gets the same " +
			"chat.delivery, and the message is in the room's history. The API is trusted: the sender is whatever `user` says " +
			"(a bot, \"system\", a user id). The message has a text, data (any JSON value, delivered as `data`), or both. " +
			"With a publish hook (PUBLISH_HOOK_URL) the message is asked about first, as a client's is, and stored as the hook " +
			"allows it (its text and data possibly replaced).",
		Params: []Param{roomParam},
		Body: &Body{Schema: "PublishRequest", Required: true,
			Example: map[string]any{"user": "system", "text": "The meeting starts in 5 minutes", "data": map[string]any{"meeting": 42}}},
		OK: Answer{http.StatusCreated, "Published: the message's id (its position in the room's history) and its ts.", Ref("Published")},
		Failures: []Failure{
			{Status: http.StatusBadRequest, Codes: []Code{
				badRoom,
				badJSON,
				{string(protocol.CodeBadMessage), "`user` is missing, empty, null or not a string, or not a valid user id (" +
					userRule + "); " + noContent},
				textTooLong,
				messageTooLong,
			}},
			{Status: http.StatusForbidden, Codes: []Code{{string(protocol.CodeRejected),
				"the publish hook (PUBLISH_HOOK_URL) refused the message, or left it with neither text nor data: " +
					"it was neither stored nor delivered."}}},
			unauthorized, bodyTooLarge,
			{Status: http.StatusServiceUnavailable, Codes: []Code{{string(protocol.CodeUnavailable),
				"the backend (Redis) could not serve the request just now, or the publish hook did not answer " +
					"(a timeout, a non-2xx answer, an answer that is not the JSON expected) and HOOK_FAIL_OPEN is false; retry."}}},
		},
		Command: Command{Name: "publish", Args: []string{"room", "text"},
			Flags: []Flag{{Name: "user", Meta: "ID", Default: "system"}, {Name: "data", Meta: "JSON"}},
			Help:  "post TEXT to ROOM as user ID (default system),\nwith JSON as data (TEXT may then be \"\")"},
	},
	{
		ID: "presence", Method: http.MethodGet, Path: "/api/rooms/{room}/presence",
		Summary: "Who is in a room, across every node",
		Params:  []Param{roomParam},
		OK: Answer{http.StatusOK, "The room's users, sorted, each once (several connections count once), across every node.",
			Ref("Presence")},
		Failures: []Failure{{Status: http.StatusBadRequest, Codes: []Code{badRoom}}, unauthorized, unavailable},
		Command:  Command{Name: "presence", Args: []string{"room"}, Help: "the users in ROOM, on every node"},
	},
	{
		ID: "history", Method: http.MethodGet, Path: "/api/rooms/{room}/history",
		Summary: "A page of a room's history",
		Description: "The same page a socket's history.get gets: up to `limit` chat messages before `before` (or the newest), " +
			"oldest first, as the history.page object.",
		Params: []Param{roomParam, beforeParam, limitParam},
		OK:     Answer{http.StatusOK, "The history.page object.", Ref("HistoryPage")},
		Failures: []Failure{
			{Status: http.StatusBadRequest, Codes: []Code{badRoom,
				{string(protocol.CodeBadMessage), "`before` is not a message id, `limit` is not an integer from 1 to " +
					strconv.Itoa(protocol.MaxPageLimit) + ", or either is given twice."}}},
			unauthorized, unavailable,
		},
		Command: Command{Name: "history", Args: []string{"room"},
			Flags: []Flag{{Name: "before", Meta: "ID"}, {Name: "limit", Meta: "N"}},
			Help: "ROOM's messages, oldest first (N from 1 to " + strconv.Itoa(protocol.MaxPageLimit) +
				", default " + strconv.Itoa(protocol.DefaultPageLimit) + ")"},
	},
	{
		ID: "send", Method: http.MethodPost, Path: "/api/users/{user}/messages",
		Summary: "Send a message to a user, on every node",
		Description: "Every socket of the user, on every node, gets " +
			"`{\"type\":\"user.message\",\"user\":U,\"text\":T,\"data\":D,\"id\":..,\"ts\":..}` (`text` only when " +
			"non-empty, `data` only when given), whatever rooms it is in, a socket in no room included. The message is not " +
			"stored: a socket that connects later does not get it, and no recovery replays it. Its id is made by the node " +
			"that took the request, from its clock, like a history id, but it is no position in any room. A user with no " +
			"socket is not an error: the answer is the same.",
		Params: []Param{userParam},
		Body: &Body{Schema: "UserMessageRequest", Required: true,
			Example: map[string]any{"text": "Your export is ready", "data": map[string]any{"export": "2024-q3.csv"}}},
		OK: Answer{http.StatusAccepted, "The message is on its way to every node.", Ref("UserMessageSent")},
		Failures: []Failure{
			{Status: http.StatusBadRequest, Codes: []Code{
				{string(protocol.CodeBadMessage), "the user id is not valid (" + userRule + "); " + noContent},
				badJSON,
				textTooLong,
				messageTooLong,
			}},
			unauthorized, bodyTooLarge, unavailable,
		},
		Command: Command{Name: "send", Args: []string{"user", "text"},
			Flags: []Flag{{Name: "data", Meta: "JSON"}},
			Help:  "a user.message of TEXT to USER's sockets on every\nnode, with JSON as data (TEXT may then be \"\")"},
	},
	{
		ID: "disconnect", Method: http.MethodPost, Path: "/api/users/{user}/disconnect",
		Summary: "Close a user's sockets, on every node",
		Description: "Every socket of the user, in `room` or in every room when it is left out, on every node, is closed with " +
			"close code 4003 and `reason` as the close reason. The command is sent to every node and the answer comes once it " +
			"is on its way: a node whose link to Redis is down at that moment does not get it. A user with no socket is not an error.",
		Params: []Param{userParam},
		Body: &Body{Schema: "DisconnectRequest",
			Description: "Optional: no body, an empty one and `{}` all mean every room and an empty reason.",
			Example:     map[string]string{"room": "lobby", "reason": "banned by a moderator"}},
		OK: Answer{http.StatusAccepted, "The command is on its way to every node.", Ref("Disconnected")},
		Failures: []Failure{
			{Status: http.StatusBadRequest, Codes: []Code{
				{string(protocol.CodeBadMessage), "the user id is not valid, `reason` is longer than " + strconv.Itoa(MaxReasonBytes) +
					" bytes, a field is not a string or is given twice."},
				{badRoom.Name, "`room` is not a valid room name."},
				badJSON,
			}},
			unauthorized, bodyTooLarge, unavailable,
		},
		Command: Command{Name: "disconnect", Args: []string{"user"},
			Flags: []Flag{{Name: "room", Meta: "ROOM"}, {Name: "reason", Meta: "TEXT"}},
			Help: "close USER's sockets (in ROOM, or everywhere) on\nevery node with 4003; TEXT at most " +
				strconv.Itoa(MaxReasonBytes) + " bytes"},
	},
	{
		ID: "openapi", Method: http.MethodGet, Path: OpenAPIPath, Public: true,
		Summary:     "This document",
		Description: "Served without the key.",
		OK:          Answer{http.StatusOK, "This OpenAPI document.", Schema{Type: "object"}},
		Command:     Command{Name: "openapi", Help: "this API's OpenAPI document (needs no key)"},
	},
}, adminRoutes...)

// OpenAPIPath is where the API serves its OpenAPI document.
const OpenAPIPath = "/api/openapi.json"

var (
	badRoom = Code{"bad_room", "the room name is not valid."}
	badJSON = Code{string(protocol.CodeBadJSON), "the body is not one JSON object, or nests objects and arrays more than " +
		strconv.Itoa(MaxDepth) + " deep."}
	textTooLong = Code{string(protocol.CodeTextTooLong),
		"the message has no data and `text` is longer than MAX_MESSAGE_BYTES."}
	messageTooLong = Code{string(protocol.CodeMessageTooLong),
		"the message has data, and `text` and `data` (compacted) together are longer than MAX_MESSAGE_BYTES."}
)

// noContent is when a message body is bad_message besides its route's own
// reasons.
const noContent = "or `text` and `data` are both missing, null or empty, or `text` is not a string, or a name is given " +
	"twice (in the body, or in an object inside `data`)."

// userParam is the {user} of every user route.
var userParam = Param{
	Name: "user", In: InPath, Shared: true,
	Description: "The user id (a token's `sub`), percent-encoded: " + userRule + ".",
	Schema:      Schema{Type: "string"},
}

var beforeParam = Param{
	Name: "before", In: InQuery,
	Description: "A message id: the page ends just before it. Left out or empty: the newest messages.",
	Schema:      Schema{Type: "string", Pattern: idPattern},
}

var limitParam = Param{
	Name: "limit", In: InQuery,
	Description: "How many messages at most, an integer from 1 to " + strconv.Itoa(protocol.MaxPageLimit) +
		" written without leading zeros. Left out or empty: " + strconv.Itoa(protocol.DefaultPageLimit) + ".",
	Schema: Schema{Type: "integer", Minimum: 1, Maximum: protocol.MaxPageLimit, Default: protocol.DefaultPageLimit},
}
