package redisqueue_test

import (
	"testing"

	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

func TestRedisQueueContract(t *testing.T) {
	srv := redistest.Start(t)
	webhooktest.RunQueue(t, pairOn(redistest.NewClient(t, srv.Addr()), redistest.NewClient(t, srv.Addr())))
}

func TestClusterQueueContract(t *testing.T) {
	c := redistest.StartCluster(t)
	webhooktest.RunQueue(t, pairOn(clusterClient(t, c), clusterClient(t, c)))
}
