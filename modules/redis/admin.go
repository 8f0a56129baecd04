package redis

import (
	"context"

	"github.com/redis/rueidis"
)

// Admin is a connection for rt's tools (the load, chaos and attack
// programs), which ask Redis what rt itself never does: INFO, CLIENT KILL.
// It keeps rueidis inside this package.
type Admin struct{ c rueidis.Client }

// DialAdmin opens an Admin on url, checked like the server's own (Dial).
func DialAdmin(ctx context.Context, url string) (*Admin, error) {
	c, err := Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &Admin{c: c}, nil
}

// Do runs one command given as its words.
func (a *Admin) Do(ctx context.Context, words ...string) (rueidis.RedisMessage, error) {
	return a.c.Do(ctx, a.c.B().Arbitrary(words...).Build()).ToMessage()
}

// Close closes the connection.
func (a *Admin) Close() { a.c.Close() }
