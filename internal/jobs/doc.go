// Package jobs is eligo's deferred work, run by River: the payment re-check
// at an order's payment timeout, outbound events (to Kafka) and signed
// webhooks. One River Args/Worker pair per file.
//
// # Enqueued with the change
//
// Jobs are inserted in the same transaction as the change that causes them:
// both stores take one hook shape, eligo.JobsHook[TTx] (TTx is the driver's
// transaction: *sql.Tx for SQLite, pgx.Tx for PostgreSQL, the types River's
// drivers take), and call it once per write transaction with every change it
// applied; the hook that Hook returns inserts what the Enqueuer says those
// changes cause with one River InsertManyTx. The order row, its
// version and its jobs commit together or not at all, so there are no lost
// jobs (a change committed without its job) and no phantom jobs (a job for a
// change that rolled back).
//
// # Payloads carry ids
//
// Every job carries primitives only. Outbound events and webhooks carry
// {"version_id","order_id","event","version"}; a consumer reads the rest
// from GET /v1/versions/{version_id}. Webhook secrets stay in the worker's
// configuration, never in a job row.
//
// # Running workers
//
// NewWorkers registers eligo's workers (and an embedder's, through
// WorkersConfig.Extra), NewClient builds a River client on a driver
// (riversqlite for the embedded store, riverpgxv5 for PostgreSQL), and Run
// runs it until its context ends. Metrics reports job counts, outcomes and
// the lateness of scheduled jobs to Prometheus.
package jobs
