package client_test

import (
	"context"
	"fmt"
	"os"

	"github.com/rtserver/rt/client"
)

// Connect to an rt server, join a room, print its messages, publish one,
// and close. The token comes from the app's backend; here from RT_TOKEN.
func Example() {
	ctx := context.Background()
	c, err := client.New(client.Config{
		URL:      "ws://localhost:8000", // Origin defaults to http://localhost:8000, allowed by default
		GetToken: func(context.Context) (string, error) { return os.Getenv("RT_TOKEN"), nil },
		Handlers: client.Handlers{
			OnMessage: func(m client.Message) { fmt.Printf("%s: %s\n", m.User, m.Text) },
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		fmt.Println(err)
		return
	}
	lobby := c.Room("lobby")
	if err := lobby.Join(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := lobby.Publish(ctx, "hello", nil); err != nil {
		fmt.Println(err)
	}
}
