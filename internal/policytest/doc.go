// Package policytest runs policy test files: each names a policy (the
// built-in one or a policy file), a set of order snapshots and cases that
// say, at a pinned instant, what a decision on an action must be (allowed
// or not, with which reason, until when). `eligo policy test` and
// `eligo policy apply --tests` run them; docs/policies.md documents the
// format.
//
// Files are JSON or YAML; both are decoded the same strict way (YAML is
// first turned into the JSON it stands for), so unknown fields are refused
// in either, with errors that name the file, the line and the place. Orders
// are built and decided by the root package (eligo.NewOrder's checks,
// eligo.Decide): nothing here decides.
package policytest
