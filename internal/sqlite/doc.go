// Package sqlite is the embedded system of record: an eligo.OrderStore in one
// SQLite file, driven by modernc.org/sqlite (pure Go, no cgo), so that eligo
// runs with no server beside it.
//
// # Connections
//
// A Store holds two pools on the same file. Writes go through a pool of one
// connection whose transactions begin with BEGIN IMMEDIATE: the write lock
// is taken before the first read, so every read-decide-write (an event, a
// cancel) sees the latest committed row and nothing can change it before the
// commit. That is the row lock of eligo.Update. River's client in the same
// process runs on that same pool (DB), so its writes queue behind the
// store's instead of contending for the file lock; other processes on the
// same file (`eligo worker`) wait for the lock up to the busy timeout, which
// is the store's deadline, Config.Timeout (eligo.DefaultStoreTimeout unless
// set; `eligo serve --store-timeout`). Every call has that deadline; one past
// it, or one that meets SQLITE_BUSY, fails with EUNAVAILABLE (a 503 with
// Retry-After over HTTP).
// Reads go through a separate pool of query-only connections; in WAL mode
// they never wait for the writer and see the last committed state.
//
// # Durability
//
// The file runs in WAL mode with synchronous=NORMAL. A commit is written to
// the write-ahead log before UpdateOrders or CreateOrder returns, so it
// survives the process crashing or being killed (kill -9): the operating
// system holds the data and the next Open replays the log. What
// synchronous=NORMAL gives up is the fsync on every commit: after a power
// loss or an operating system crash, the last transactions before the
// failure may be rolled back (the database stays consistent; it is never
// corrupted). Where that matters, run on storage with a battery-backed cache
// or use the PostgreSQL store.
//
// # Schema
//
// The schema is a list of numbered SQL files under migrations/, embedded in
// the binary and applied in order by Open, each in its own transaction and
// recorded in the schema_migrations table. The store owns the tables orders,
// versions, processed_events and schema_migrations. River keeps its river_*
// tables in the same file; Open applies River's migrations too, so jobs can
// be inserted in the store's transactions (Config.Jobs).
//
// Times are stored as integer Unix nanoseconds, so they round-trip exactly;
// a zero time is NULL. Times the store cannot represent (before 1678 or after
// 2262) are refused as EINVALID.
package sqlite
