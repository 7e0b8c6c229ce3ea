// Package eligo holds the domain of the eligibility service: every rule that
// decides. Apart from naming the build and the host for version records
// (build.go) it does no I/O. Its pieces, one file each:
//
//   - Order, its statuses and NewOrder (order.go), the rule for ids,
//     ValidateID (id.go), and the range of order timestamps (timerange.go);
//   - Policy, the rules of when an action is allowed, parsed and validated
//     by ParsePolicy or built in as DefaultPolicy (policy.go);
//   - Decide, the pure answer to "may this action be done now?" (decide.go);
//   - the changes: ApplyEvent for the events that move an order forward
//     (event.go), Cancel (cancel.go), and RecheckPayment, the payment
//     re-check with the one notion of an unpaid payment (payment.go);
//   - Version, the record of each change, and its stored form (version.go);
//   - the interfaces that the backends implement, OrderStore and ReadModel
//     (store.go), and Error, whose codes the HTTP API maps to statuses
//     (error.go).
//
// Two ideas keep it cheap. Time is data, not a timer: an order stores its
// deadlines and Decide compares them with the instant of the read, returning
// the next instant at which the answer changes (Decision.Until); a job that
// later writes a deadline's outcome down (an expiry) changes the data, not
// the answer. Change is pushed, not polled: events are applied once, in one
// transaction, and the new snapshot goes to the read model and to whoever is
// watching.
//
// This package imports only the standard library.
package eligo
