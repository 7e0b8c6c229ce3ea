// Package loadgen reproduces the traffic of the ten-minute-delivery article
// against a running eligo and checks every answer it gets.
//
// One engine serves two front ends: `eligo demo`, a few hundred orders
// against the embedded server, and `eligo load`, up to tens of thousands
// against any server. Run plays a script on a compressed clock: orders are
// placed through POST /v1/orders, fulfillment and payments post their events
// in batches (one sequential stream per partition of the order ids, as a
// Kafka consumer would), map viewers poll eligibility with If-None-Match,
// chat viewers read the eligibility once and then watch the live stream
// (Server-Sent Events), and some customers press Cancel at random moments,
// many of them in the last moments before or after the driver's arrival.
//
// # Ground truth
//
// The generator knows every write it made and when: the request's send
// time, the answer's arrival, and the version the server gave it. From the
// acknowledged writes it rebuilds each order's history, version by version,
// and judges every eligibility answer, every 304, every pushed document and
// every cancel against the cancel rule of the built-in policy, written out
// here independently of eligo.Decide (see expectCancel). A read is wrong
// when its version does not exist, is older than a write acknowledged before
// the read was sent, or was not yet sent when the answer arrived; when its
// as_of lies outside the request's span by more than the declared clock
// tolerance; when its decision, reason or until differs from the rule at
// as_of; or when Cache-Control lets it be cached past until. A cancel is
// wrong when it won against a state that did not allow it, or was refused
// for a reason that no state current during the request could give. A
// stream is wrong when it goes backwards, or ends without the order's last
// version.
//
// Wrong answers are counted apart from errors (timeouts, refused
// connections, unexpected statuses): an error is the server failing to
// answer, a wrong answer is the server answering something untrue.
package loadgen
