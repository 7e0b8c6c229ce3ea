// Package redis holds the production read model and fan-out of eligo on
// Redis, through rueidis.
//
// # The read model
//
// ReadModel keeps one key per order, "<prefix>:{<order id>}:order", whose
// value is the order's version in decimal, a colon, and its snapshot in a
// compact binary layout (snapshot.go). The order id is the key's hash tag,
// so every key of one order falls in one slot of a Redis Cluster.
//
// Writes only move forward: Put runs a Lua script that compares the stored
// version with the new one and writes in the same atomic step, so any
// number of replicas writing concurrently leave the newest version.
//
// Reads go through rueidis's server-assisted client-side cache (RESP3
// CLIENT TRACKING): the first read of an order fetches it and Redis starts
// tracking the key for this connection; later reads are answered from
// process memory, without a round trip, until Redis says the key changed
// (or was flushed, or the connection dropped), and the next read fetches it
// again. A replica reads its own writes: see ReadModel.Put.
//
// The model is disposable: a miss sends the engine to the store, which
// then puts the order back while it is hot (eligo.Order.Hot). The key of a
// live order never expires; that of a terminal one expires at the end of
// its grace period (ReadModelConfig.Grace). FLUSHALL, eviction, key expiry
// or a restart of Redis lose no data, only round trips.
//
// # Outages
//
// Redis is not a start dependency: when it cannot be reached, NewClient
// returns a client that fails its calls and connects by itself once Redis
// answers. During an outage, at start or later, reads go to the store,
// failed writes are retried (retry.go), the gauge eligo_redis_available is
// 0 and ReadModel.Degraded says so (/readyz shows it in its body and stays
// ready). The read model logs an outage twice: at ERROR on its first
// failed call, and at WARN on the first call Redis answers again, with the
// reads and writes that failed in between; the fan-out logs a lost
// subscription and a failed publish once per outage too.
//
// # Repair
//
// A writer killed between its commit and its Put leaves Redis at the older
// version; every replica runs engine.Repair, which tails the store's
// committed changes and puts what Redis missed, within about two seconds
// at the defaults. RepairMark keeps, in "<prefix>:{repair}:mark", the
// version id up to which every change has been checked, so that a restart
// resumes there.
//
// # The fan-out
//
// Fanout carries "order X reached version N" between replicas over sharded
// pub/sub, so that a change committed by one replica reaches live
// subscribers connected to any other; the receiving hub reads the snapshot
// from Redis (ReadModel.Fresh). Publish queues and returns; a goroutine
// sends the queue in batches, one line per order however many versions it
// went through. Notices can be lost (Redis away, a queue overflowing); the
// fan-out then has every hub re-read the orders it watches, which is enough
// because every push carries the whole state.
package redis
