// Package client is the Go client of rt: one WebSocket to an rt server
// carrying any number of rooms, kept open across network drops.
//
// It speaks the protocol of docs/protocol.md and does for the app what
// every rt client has to do: it reconnects with full-jitter backoff and
// rejoins every room with since = the last message id it saw, so the
// server replays what was missed; it drops a delivery whose id it has
// already passed; it folds presence frames into each room's user list
// (unless Config.NoPresence);
// it refreshes the token before its exp; it answers the server's pings;
// it paces what it sends under the server's rate limit; it queues
// publishes while disconnected and matches acks to them by ref. It stops
// for good, instead of retrying, when retrying cannot help: the server's
// 1008 or 4003, a handshake refused with 400, 403 or 404, or GetToken
// returning ErrUnauthorized.
//
// Handlers run on one goroutine per client, in order; a slow handler
// never blocks the socket (see Handlers).
//
//	c, err := client.New(client.Config{
//		URL:      "ws://localhost:8000", // Origin http://localhost:8000
//		GetToken: func(ctx context.Context) (string, error) { return myBackend.Token(ctx) },
//		Handlers: client.Handlers{
//			OnMessage: func(m client.Message) { fmt.Println(m.User+":", m.Text) },
//		},
//	})
//	if err != nil { … }
//	defer c.Close()
//	if err := c.Connect(ctx); err != nil { … }
//	lobby := c.Room("lobby")
//	if err := lobby.Join(ctx); err != nil { … }
//	ack, err := lobby.Publish(ctx, "hello", nil)
package client
