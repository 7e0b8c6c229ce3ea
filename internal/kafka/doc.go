// Package kafka ingests fulfillment events from Kafka (franz-go): a
// consumer group on one topic whose records are keyed by order id and
// valued by one event in the JSON shape of POST /v1/events
// (internal/eventjson).
//
// # Connection
//
// ConnConfig is how every eligo client connects to the cluster: the seed
// brokers, TLS (a CA file, a client certificate, a server name) and SASL
// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). Its Opts are the franz-go options
// of the consumer and its dead-letter producer here, and of the outbound
// producer (internal/jobs). Check connects once at start, within a bound,
// and turns what franz-go would retry forever (a wrong password, a failed
// TLS handshake) and a missing topic into an error that says what to fix,
// or creates the missing topics.
//
// # One batch
//
// The consumer polls a batch of records and decodes each one. The ones that
// decode are applied with one engine.ApplyEvents call: one store
// transaction, after whose commit the read model and the live subscribers
// move forward. Records that cannot be decoded, and events the engine
// rejects (an invalid event, an unknown order), are produced to the
// dead-letter topic with their original key, value and headers (cut to
// the bounds below) and the reason in the "eligo-error" header, and
// flushed. Only then are the
// batch's offsets committed.
//
// # Delivery
//
// Offsets are committed after the store commit, so a crash between the two
// delivers the batch again: at least once. Event ids make that exactly once
// in effect, since the store answers an event id it recorded as a
// duplicate and writes nothing. A rejected event is not recorded, so a
// redelivered one is dead-lettered again: dead letters are at least once.
//
// A bad record never blocks its partition: it is dead-lettered and the
// offset moves past it. A dead letter is bounded whatever the record: the
// original key, the first DeadLetterMaxValueBytes (256 KiB) of the value,
// each header cut to DeadLetterMaxHeaderBytes (1 KiB), and HeaderTruncated
// saying what was cut; so a record near the broker's limit, whose error
// quotes its bad field, still fits. When the dead-letter topic refuses it
// (MESSAGE_TOO_LARGE, or 5 failed attempts), a minimal dead letter
// follows: key, error and source, no value. When that fails 5 times too,
// the record is skipped, logged at ERROR with its topic, partition and
// offset, and counted in eligo_kafka_dead_letters_skipped_total: one bad
// record costs at most about a minute of its batch, never the partition.
//
// A failing store does block the partitions, on purpose: the consumer
// retries the same batch with backoff and commits nothing, so nothing is
// skipped while PostgreSQL is away.
//
// # Lag
//
// Every LagInterval the consumer asks the cluster for the group's committed
// offsets and the partitions' end offsets (kadm) and exports the difference
// as the gauge eligo_kafka_consumer_lag{topic,partition}. Each replica
// reports the whole group, so take the max across replicas, not the sum.
package kafka
