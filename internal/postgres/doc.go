// Package postgres is the production system of record: an eligo.OrderStore
// on PostgreSQL through pgx v5, so that several eligo replicas share one
// writer of truth. It passes the same suite as the embedded store
// (internal/storetest) and keeps the same rules.
//
// # Transactions and locks
//
// Every write is one READ COMMITTED transaction. A batch of updates
// (UpdateOrders) first locks every order row it names with one
// SELECT ... FOR UPDATE, in id order, so that two batches naming the same
// orders never deadlock; then it reads which of its event ids were processed
// before (after the locks, so it sees every transaction that held them);
// then eligo.DecideUpdate decides each update in memory, in input order
// (the same function the embedded store calls), and the store writes the
// order rows, the version rows and the processed event ids with one
// statement each, sent together in one round trip. A cancel is a batch of
// one: it decides against the locked row, never against a cache, so a cancel
// racing the driver's arrival has exactly one winner.
//
// Write transactions begin with SET LOCAL enable_seqscan = off: every write
// statement finds its rows by key, and a plan cached while a table was
// small must not scan it whole once it has grown (see writeTxOptions).
//
// A transaction that fails on a deadlock, a serialization failure or a
// unique violation (two replicas creating the same order, or recording the
// same event id, at once) is retried from the start a few times; the
// eligo.Update functions are pure, so running them again is safe.
//
// # Deadlines
//
// Every call has a deadline, Config.Timeout (eligo.DefaultStoreTimeout
// unless set; `eligo serve --store-timeout`), which the server also gets as
// statement_timeout and lock_timeout. A call past it, or one the server
// refuses for now (a statement or lock timeout, no connection to be had,
// or one that broke), fails with EUNAVAILABLE: a 503 with Retry-After over
// HTTP, a retried batch on Kafka. Ping is readiness: /readyz is false while
// it fails. Migrations lift both timeouts for their own transactions.
//
// A write transaction that finds its connection broken (reset, or closed
// by a proxy or a restarting server) before its commit runs again once, on
// a new connection, after the pool closes the others, which broke too; a
// commit that broke may have committed, and is EUNAVAILABLE, for the
// caller to resend (event ids make that safe). So a cut between calls
// costs no write; one in the middle of writes costs those whose commit it
// cut, and those that break twice (TestStoreConnectionsResetMidFlight).
//
// # Durability
//
// A commit returns once PostgreSQL says it is durable, under the server's
// synchronous_commit setting (on by default: flushed to the WAL on disk).
//
// # Schema
//
// The schema is a list of numbered SQL files under migrations/, embedded in
// the binary. Open does not change the schema: Migrate applies the pending
// migrations (`eligo migrate`, or `eligo serve --migrate`), each in its own
// transaction under an advisory lock, so that replicas starting together
// apply each one once; Pending says what is missing. The store owns the
// tables orders, versions, processed_events and schema_migrations in the
// connection's search_path; River keeps its own tables beside them.
//
// Times are timestamptz, which holds microseconds: the store truncates
// every time it is given (and its clock's readings) to the microsecond, so
// what it returns is exactly what it stored and a repeated create with the
// same nanosecond times is still the same order.
package postgres
