// Package eligo holds the domain of the eligibility service: orders, the
// policy that says when an action is allowed, the pure Decide function, the
// events that move an order forward, and the interfaces that the backends
// implement.
//
// Two ideas keep it cheap. Time is data, not a timer: an order stores its
// deadlines and Decide compares them with the instant of the read, returning
// the next instant at which the answer changes (Decision.Until). Change is
// pushed, not polled: events are applied once, in one transaction, and the
// new snapshot goes to the read model and to whoever is watching.
//
// This package imports only the standard library.
package eligo
