// Package jobs is eligo's deferred work, run by River: the payment re-check
// at an order's payment timeout, outbound events (to Kafka) and signed
// webhooks. One River Args/Worker pair per file.
//
// # Enqueued with the change
//
// Jobs are inserted in the same transaction as the change that causes them:
// a store calls the hook that Hook returns inside its write transaction for
// every applied create and update, and the hook inserts what the Enqueuer
// says that change causes with River's InsertManyTx. The order row, its
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
