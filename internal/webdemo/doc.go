// Package webdemo is the demo's web page: one order seen through the
// article's two screens, served from files embedded in the binary.
//
//   - The map panel is the tracking page. It asks GET
//     /v1/orders/{id}/eligibility every 30 seconds with If-None-Match (a 304
//     costs nothing), and also at the answer's until, the instant it changes
//     by the clock alone. It shows the driver's progress, the promised time
//     and a countdown to until.
//   - The chat panel is the support chat. Its Cancel button follows the live
//     stream (GET /v1/orders/{id}/live over Server-Sent Events): it appears
//     when the promise is broken, vanishes the moment the driver arrives, and
//     pressing it calls POST /v1/orders/{id}/cancel and says what happened,
//     a refusal included. The stream reconnects by itself; while it is down
//     the chat checks the eligibility every few seconds instead.
//
// The page calls the public v1 API with a customer token, exactly as a
// customer's app would, plus one endpoint of this package: GET
// /demo/api/orders lists the live orders, each with eligo's own answer
// (its actions, as the eligibility document has them, decided by
// Config.Decider: the server's engine), which the list shows as it is, and GET /demo/api/orders/{id}
// hands out a short-lived customer token for the order's customer. Its
// errors are problem+json from the API's one writer, httpapi.WriteError.
//
// The page can also change the policy live (Config.PolicyChanges, such as
// AmsterdamChanges): GET /demo/api/policy names the version in force and
// the changes on offer, and POST /demo/api/policy/{name} applies one
// through Config.Policies (the engine, as `eligo policy apply` does). The
// orders of the segment it changes (city=AMS) then get their new answers
// pushed: their Cancel button appears, or goes, without a reload.
//
// # Never on a real deployment
//
// That endpoint gives a valid customer token for any order to anyone who
// asks, with no credentials at all, and the policy endpoint changes the
// rules for every order on the same terms (from the page's own origin). It exists so that `eligo demo` can be
// watched in a browser. The API routes it at /demo/ (httpapi.Deps.DemoPage,
// listed in httpapi's routes.go): `eligo demo` always, `eligo serve` only
// with --demo-page, which must never be set on a deployment that holds real
// customers' orders.
package webdemo
