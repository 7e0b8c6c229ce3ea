// Package live pushes the eligibility document of an order to whoever is
// watching it, over WebSocket or Server-Sent Events, from one Hub per
// process.
//
// # What a watcher receives
//
// Every message is the whole eligibility document, the same JSON as
// GET /v1/orders/{id}/eligibility, with the order's version in it:
//
//	{"order_id":"ord-1","version":4,"as_of":"2026-01-02T10:11:12.123Z",
//	 "actions":{"cancel":{"allowed":true,"reason":"sla_breached","until":null}}}
//
// On WebSocket each document is one text message; on SSE it is one event,
// "data: <json>\n\n". The first message is the current document, sent as soon
// as the stream opens. After that a new one is sent on every change of the
// order (an event, a cancel, an expiry, on this replica or, through the
// Fanout, on another), at every instant at which a decision changes by
// the clock alone (the earliest "until" of the document): the Cancel button
// appears at promised_at with no event at all, and on every change of the
// policy in force (Hub.PolicyChanged). A policy change pushes every watched
// order's document, since each one's policy_version changes with it, even
// where its decisions stay the same; its boundary moves to the new until.
//
// # The delivery guarantee: state, not deltas
//
// A message carries state, never a delta, so nothing depends on having seen
// the messages before it. Three rules follow.
//
//   - Latest wins. Each subscriber has a one-slot mailbox holding the newest
//     document not yet written. A newer document replaces an older one that
//     is still waiting, so a slow reader is coalesced to the latest state: it
//     never receives a queue of stale documents, and it is never dropped for
//     being slow. Only a write that cannot finish within the write timeout,
//     or a peer that stops answering pings, ends a connection.
//   - Never backwards. Documents are ordered by (version, as_of); one older
//     than what a subscriber already has is dropped, even when changes are
//     reported out of order by concurrent writers.
//   - Reconnecting is recovering. A client that lost its connection (a
//     network change, a server restart or shutdown) opens a new stream and
//     its first message is the current state. There is nothing to replay.
//
// Centrifugo, for comparison, recovers missed publications from a bounded
// per-channel history: a client reconnects with its last offset, and when
// the history no longer reaches back that far recovery fails and the
// application must reload state itself. eligo keeps no history at all: the
// read model is the state, and every message is a complete copy of it.
//
// # Timers and connections
//
// Timers exist only for orders someone is watching. The hub's state is split
// by a hash of the order id into 64 shards; each shard holds its orders'
// watches and subscribers, one heap of their deadlines (the next boundary of
// each watched order, and the expiry of each customer token held by a
// connection) and one goroutine that sleeps until the earliest, all under
// a lock of its own. So a push, a boundary or a join for one order never
// waits on a lock held for an order of another shard, and the keep-alive
// pass goes shard by shard, never holding one lock over every subscriber.
// Only the connection counts behind the limits are kept in one place, under
// a small lock taken when a stream opens or ends. Nothing is scheduled per
// order in the store.
//
// A connection costs a reader goroutine blocked on its socket (it answers
// pings and finds dead peers by a read deadline) and no buffers of its own.
// Writes are made by whoever has something to send (the engine's commit, a
// shard's timer, the fan-out) without waiting: a frame the socket takes at once
// is written in place, and only the rest of a frame that would block moves
// to a goroutine that waits, under the write timeout, and then writes the
// newest document. See BENCHMARKS.md for what that costs per connection.
//
// WebSocket connections are pinged every PingInterval and closed when
// nothing has been read for two intervals; SSE connections get a ": ping"
// comment instead. Close codes say why: 1001 (going away) on shutdown, 1008
// (policy violation) when a customer's token expires. A client that breaks
// RFC 6455 (an unmasked frame, a reserved opcode, RSV bits, a fragmented
// control frame, a continuation out of place, a close code that may not be
// sent) is closed with 1002, one that sends text or a close reason that is
// not UTF-8 with 1007, and a message over 4 KiB with 1009 (clients have
// nothing to say but pings and close; their messages are read and
// dropped). A client's close is echoed with its code, an empty one with an
// empty close. After its close frame the server reads and drops what the
// client still sends until the client's close (or the write timeout), so
// the client reads the close frame rather than a reset. An SSE stream
// ends with
//
//	event: close
//	data: {"code":1001,"reason":"server shutting down"}
//
// # A page that follows the stream
//
// Browsers cannot set headers on a WebSocket or an EventSource. On a
// WebSocket the access token travels as a subprotocol: the page offers
// eligo.v1 (Subprotocol) and eligo.token.<token>, and the server answers
// eligo.v1, never the token, so the token stays out of URLs and of access
// and proxy logs. A client that offers subprotocols but not eligo.v1 is
// refused with 400, and a WebSocket version other than 13 with 426.
//
//	function watch(orderId, token, button) {
//	  let delay = 500;
//	  const open = () => {
//	    const ws = new WebSocket(`wss://${location.host}/v1/orders/${orderId}/live`,
//	                             ["eligo.v1", `eligo.token.${token}`]); // the token, out of the URL
//	    ws.onmessage = (e) => {
//	      delay = 500;
//	      const doc = JSON.parse(e.data);          // the whole state, every time
//	      button.hidden = !doc.actions.cancel.allowed;
//	    };
//	    ws.onclose = (e) => {
//	      if (e.code === 1008) return;             // token expired: get a new one first
//	      setTimeout(open, delay);                 // the first message after reconnecting is the current state
//	      delay = Math.min(delay * 2, 10000);
//	    };
//	  };
//	  open();
//	}
//
// EventSource can carry the token only as the access_token query
// parameter; the browser reconnects by itself:
//
//	const es = new EventSource(`/v1/orders/${orderId}/live?access_token=${token}`);
//	es.onmessage = (e) => { button.hidden = !JSON.parse(e.data).actions.cancel.allowed; };
package live
