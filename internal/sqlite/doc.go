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
// # Group commit
//
// The store's writes (CreateOrder, UpdateOrders: creates, event batches,
// cancels, and the River jobs they insert through Config.Jobs) are queued,
// and the writes that arrive while a transaction is running are gathered
// into the next one, up to 1,000 rows (a create is one, an UpdateOrders call
// one per update): one BEGIN IMMEDIATE, one COMMIT and one handoff of the
// writer connection for the group instead of one per write. A write that
// finds no transaction in flight begins at once, alone; no group waits for
// more work. Each write of a group runs in its own SAVEPOINT, in arrival
// order, with its own clock reading and its own call of the jobs hook, and
// gets its own result and error: a write that fails is rolled back to its
// savepoint and rejects only itself, and its row, version, processed event
// id and jobs commit together or not at all, as before. A write whose
// context ends, or whose deadline passes, while it waits is withdrawn and
// never applied. Only a failure of the transaction itself (BEGIN, COMMIT, a
// full disk) fails every write of the group. Version ids stay in commit
// order: a rolled-back write leaves no id behind, and a group's ids become
// visible together at its commit. See groupCommit for the details.
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
