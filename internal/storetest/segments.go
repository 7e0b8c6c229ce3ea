package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// testAttributesAndDeadlines pins that an order's attributes and named
// deadlines (what a policy's segments and bounds read) are kept as the
// create and the attributes and deadline events leave them, and read back
// by every read.
func (s *suite) testAttributesAndDeadlines(t *testing.T) {
	t.Parallel()

	t.Run("CreateReadsBackEverywhere", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.segmentParams("order-1")
		want, err := eligo.NewOrder(p, b.clock.Now())
		require.NoError(t, err)
		o := b.create(t, p)
		requireSameOrder(t, want, o)
		require.Equal(t, []eligo.Attribute{{Key: "city", Value: "AMS"}, {Key: "merchant", Value: "m-1"}}, o.Attributes)
		require.Len(t, o.Deadlines, 2)
		requireSameOrder(t, o, b.find(t, "order-1"))

		listed, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: 10})
		require.NoError(t, err)
		require.Len(t, listed, 1)
		requireSameOrder(t, o, listed[0])
		hot, err := b.store.ListHotOrders(b.ctx, &eligo.ListHotOrdersParams{EndedSince: b.clock.Now(), Limit: 10})
		require.NoError(t, err)
		require.Len(t, hot, 1)
		requireSameOrder(t, o, hot[0])

		v := b.versions(t, "order-1")[0]
		requireJSONEqual(t, eligo.Changes(nil, &o), v.ObjectChanges)
		requireJSONEqual(t, [2]any{nil, map[string]string{"city": "AMS", "merchant": "m-1"}}, v.ObjectChanges["attributes"])
		requireJSONEqual(t, [2]any{nil, map[string]string{
			"doors_open_at":   formatMicro(epoch.Add(47 * time.Hour)),
			"event_starts_at": formatMicro(epoch.Add(48 * time.Hour)),
		}}, v.ObjectChanges["deadlines"])
		require.NotContains(t, v.ObjectChanges, "taken", "no action was taken")

		// The same create again is the same order; other attributes or
		// deadlines are another order under the same id.
		again, created, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
		require.NoError(t, err)
		require.False(t, created)
		requireSameOrder(t, o, again)
		for name, change := range map[string]func(p *eligo.NewOrderParams){
			"Attributes":   func(p *eligo.NewOrderParams) { p.Attributes = map[string]string{"city": "BER"} },
			"NoAttributes": func(p *eligo.NewOrderParams) { p.Attributes = nil },
			"Deadline": func(p *eligo.NewOrderParams) {
				p.Deadlines = map[string]time.Time{"event_starts_at": epoch.Add(49 * time.Hour)}
			},
		} {
			other := b.segmentParams("order-1")
			change(other)
			_, _, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *other, Who: eligo.WhoService})
			requireCode(t, eligo.ECONFLICT, err)
			require.Len(t, b.versions(t, "order-1"), 1, name)
		}
	})

	t.Run("InvalidAttributesStoreNothing", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.segmentParams("order-1")
		p.Deadlines = map[string]time.Time{"placed_at": epoch}
		_, _, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
		requireCode(t, eligo.EINVALID, err)
		_, err = b.store.FindOrder(b.ctx, "order-1")
		requireCode(t, eligo.ENOTFOUND, err)
	})

	t.Run("AttributesEvent", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		old := b.create(t, b.params("order-1"))
		b.clock.Advance(time.Minute)
		set := attributesEvent("ev-1", "order-1", map[string]string{"city": "AMS", "merchant": "m-1"})

		r := b.update(t, set)[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.NoError(t, r.Err)
		require.EqualValues(t, 2, r.Order.Version)
		require.Equal(t, []eligo.Attribute{{Key: "city", Value: "AMS"}, {Key: "merchant", Value: "m-1"}}, r.Order.Attributes)
		requireSameOrder(t, r.Order, b.find(t, "order-1"))
		v, err := b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, eligo.VersionUpdate, v.Event)
		require.Equal(t, "ev-1", v.EventID)
		require.Empty(t, v.Action, "an event takes no action")
		require.Equal(t, []string{"attributes", "updated_at", "version"}, changedFields(v.ObjectChanges))
		requireJSONEqual(t, eligo.Changes(&old, &r.Order), v.ObjectChanges)

		// The resend is a duplicate; the same id with other content is
		// another event, refused.
		require.Equal(t, eligo.OutcomeDuplicate, b.update(t, set)[0].Outcome)
		reused := b.update(t, attributesEvent("ev-1", "order-1", map[string]string{"city": "BER"}))[0]
		require.Equal(t, eligo.OutcomeRejected, reused.Outcome)
		requireCode(t, eligo.ECONFLICT, reused.Err)

		// "" removes a key; removing the last leaves none.
		r = b.update(t, attributesEvent("ev-2", "order-1", map[string]string{"merchant": ""}))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.Equal(t, []eligo.Attribute{{Key: "city", Value: "AMS"}}, b.find(t, "order-1").Attributes)
		r = b.update(t, attributesEvent("ev-3", "order-1", map[string]string{"city": ""}))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.Nil(t, b.find(t, "order-1").Attributes)
		// Removing what is not there changes nothing.
		require.Equal(t, eligo.OutcomeStale, b.update(t, attributesEvent("ev-4", "order-1", map[string]string{"city": ""}))[0].Outcome)
		require.Len(t, b.versions(t, "order-1"), 4)
	})

	t.Run("DeadlineEvent", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		old := b.create(t, b.params("order-1"))
		b.clock.Advance(time.Minute)
		starts := epoch.Add(48 * time.Hour)
		set := deadlineEvent("ev-1", "order-1", "event_starts_at", starts)

		r := b.update(t, set)[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.NoError(t, r.Err)
		at, ok := r.Order.Deadline("event_starts_at")
		require.True(t, ok)
		require.True(t, at.Equal(starts))
		requireSameOrder(t, r.Order, b.find(t, "order-1"))
		v, err := b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, []string{"deadlines", "updated_at", "version"}, changedFields(v.ObjectChanges))
		requireJSONEqual(t, eligo.Changes(&old, &r.Order), v.ObjectChanges)

		require.Equal(t, eligo.OutcomeDuplicate, b.update(t, set)[0].Outcome)
		reused := b.update(t, deadlineEvent("ev-1", "order-1", "event_starts_at", starts.Add(time.Hour)))[0]
		require.Equal(t, eligo.OutcomeRejected, reused.Outcome)
		requireCode(t, eligo.ECONFLICT, reused.Err)

		// Moved, then removed (no instant).
		moved := b.update(t, deadlineEvent("ev-2", "order-1", "event_starts_at", starts.Add(time.Hour)))[0]
		require.Equal(t, eligo.OutcomeApplied, moved.Outcome)
		stored := b.find(t, "order-1")
		at, _ = stored.Deadline("event_starts_at")
		require.True(t, at.Equal(starts.Add(time.Hour)))
		removed := b.update(t, deadlineEvent("ev-3", "order-1", "event_starts_at", time.Time{}))[0]
		require.Equal(t, eligo.OutcomeApplied, removed.Outcome)
		require.Nil(t, b.find(t, "order-1").Deadlines)
		require.Len(t, b.versions(t, "order-1"), 4)
	})
}

// testActions pins the version of a policy action (eligo.ActionUpdate):
// event "action" with the action, the policy version and the params, an
// action that changes no field still written, a "once" action recorded on
// the order.
func (s *suite) testActions(t *testing.T) {
	t.Parallel()

	t.Run("ActionWritesItsVersion", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		old := b.create(t, b.params("order-1"))
		b.clock.Advance(time.Minute)
		u, err := eligo.ActionUpdate("order-1", eligo.WhoCustomer("cust-1"), actionPolicy, "reschedule", []byte(`{"slot": "18:00", "note": "ring twice"}`), nil)
		require.NoError(t, err)

		r := b.update(t, u)[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome, "an action that changes no field is written all the same: %v", r.Err)
		require.EqualValues(t, 2, r.Order.Version)
		require.True(t, r.Order.UpdatedAt.Equal(b.clock.Now()))
		requireSameOrder(t, r.Order, b.find(t, "order-1"))

		v, err := b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, eligo.VersionAction, v.Event)
		require.Equal(t, "reschedule", v.Action)
		require.Equal(t, actionPolicy.VersionString(), v.PolicyVersion)
		require.Equal(t, `{"slot":"18:00","note":"ring twice"}`, string(v.Params), "the params as they came, compacted, keys in their order")
		require.Equal(t, "customer:cust-1", v.Whodunnit)
		require.Empty(t, v.EventID)
		require.EqualValues(t, 2, v.OrderVersion)
		require.Equal(t, []string{"updated_at", "version"}, changedFields(v.ObjectChanges))
		requireJSONEqual(t, eligo.Changes(&old, &r.Order), v.ObjectChanges)

		vs := b.versions(t, "order-1")
		require.Len(t, vs, 2)
		requireSameVersion(t, v, vs[1])
		require.Empty(t, vs[0].Action, "the create took no action")
		require.Empty(t, vs[0].PolicyVersion)
		require.Nil(t, vs[0].Params)
		changes, err := b.store.ListChanges(b.ctx, vs[0].ID, 10)
		require.NoError(t, err)
		require.Equal(t, []eligo.CommittedChange{{VersionID: r.VersionID, OrderID: "order-1", OrderVersion: 2}}, changes)

		// Taken again: another version, without params this time.
		u, err = eligo.ActionUpdate("order-1", eligo.WhoService, actionPolicy, "reschedule", nil, nil)
		require.NoError(t, err)
		r = b.update(t, u)[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.EqualValues(t, 3, r.Order.Version)
		v, err = b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, eligo.VersionAction, v.Event)
		require.Equal(t, "reschedule", v.Action)
		require.Nil(t, v.Params)
	})

	t.Run("OnceActionIsRecordedOnTheOrder", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		u, err := eligo.ActionUpdate("order-1", eligo.WhoService, actionPolicy, "refund", []byte(`{"amount":"4.50"}`), nil)
		require.NoError(t, err)

		r := b.update(t, u)[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.Equal(t, []string{"refund"}, r.Order.Taken)
		o := b.find(t, "order-1")
		require.Equal(t, []string{"refund"}, o.Taken)
		require.True(t, o.HasTaken("refund"))
		listed, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: 10})
		require.NoError(t, err)
		require.Equal(t, []string{"refund"}, listed[0].Taken)
		v, err := b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, "refund", v.Action)
		requireJSONEqual(t, [2]any{nil, []string{"refund"}}, v.ObjectChanges["taken"])

		// Once only: the second is refused, and writes nothing.
		r = b.update(t, u)[0]
		require.Equal(t, eligo.OutcomeRejected, r.Outcome)
		requireCode(t, eligo.ECONFLICT, r.Err)
		require.Equal(t, eligo.ReasonAlreadyTaken, eligo.ErrorReason(r.Err))
		require.Len(t, b.versions(t, "order-1"), 2)
	})

	t.Run("CancelIsAnAction", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		u, err := eligo.ActionUpdate("order-1", eligo.WhoCustomer("cust-1"), actionPolicy, eligo.ActionCancel, nil, nil)
		require.NoError(t, err)

		r := b.update(t, u)[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.Equal(t, eligo.StatusCancelled, b.find(t, "order-1").Status)
		v, err := b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, eligo.VersionAction, v.Event)
		require.Equal(t, eligo.ActionCancel, v.Action)
		require.Equal(t, actionPolicy.VersionString(), v.PolicyVersion)

		// An action that ends the order, on an order it ended: nothing.
		r = b.update(t, u)[0]
		require.Equal(t, eligo.OutcomeStale, r.Outcome)
		require.Zero(t, r.VersionID)
		require.Len(t, b.versions(t, "order-1"), 2)
	})
}

// actionPolicy has every kind of action, each open from placed_at: cancel
// (ends the order), reschedule (changes nothing here) and refund (once).
var actionPolicy = func() *eligo.Policy {
	p, err := eligo.ParsePolicy([]byte(`{"actions": {
		"cancel": {"windows": [{"name": "any", "from": "placed_at"}]},
		"reschedule": {"windows": [{"name": "any", "from": "placed_at"}]},
		"refund": {"once": true, "windows": [{"name": "any", "from": "placed_at"}]}
	}}`))
	if err != nil {
		panic(err)
	}
	return p.WithSeq(7)
}()

// segmentParams returns b.params(id) with two attributes and two named
// deadlines.
func (b *bundle) segmentParams(id string) *eligo.NewOrderParams {
	p := b.params(id)
	p.Attributes = map[string]string{"city": "AMS", "merchant": "m-1"}
	p.Deadlines = map[string]time.Time{"event_starts_at": epoch.Add(48 * time.Hour), "doors_open_at": epoch.Add(47 * time.Hour)}
	return p
}

// attributesEvent returns the update of an attributes event, as the engine
// builds it.
func attributesEvent(eventID, orderID string, attrs map[string]string) eligo.Update {
	return eventUpdate(&eligo.Event{EventID: eventID, OrderID: orderID, Type: eligo.EventAttributes, Attributes: attrs, OccurredAt: epoch})
}

// deadlineEvent returns the update of a deadline event (a zero at removes
// the deadline), as the engine builds it.
func deadlineEvent(eventID, orderID, name string, at time.Time) eligo.Update {
	return eventUpdate(&eligo.Event{EventID: eventID, OrderID: orderID, Type: eligo.EventDeadline, Deadline: name, At: at, OccurredAt: epoch})
}

// formatMicro is an instant as object changes hold it.
func formatMicro(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// RequireOrderFromBeforeAttributes requires that order id, written with
// its create version before the store kept attributes, deadlines and
// actions (a backend's own test writes the rows with the schema of then
// and migrates), reads back with none, its version with no action, and
// takes an attributes event, a deadline event and an action as any order.
func RequireOrderFromBeforeAttributes(t *testing.T, store eligo.OrderStore, id string) {
	t.Helper()
	ctx := t.Context()
	o, err := store.FindOrder(ctx, id)
	require.NoError(t, err)
	require.Nil(t, o.Attributes)
	require.Nil(t, o.Deadlines)
	require.Nil(t, o.Taken)
	listed, err := store.ListOrders(ctx, &eligo.ListOrdersParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, o, listed[0])
	vs, err := store.FindVersions(ctx, id)
	require.NoError(t, err)
	require.Len(t, vs, 1)
	require.Equal(t, eligo.VersionCreate, vs[0].Event)
	require.Empty(t, vs[0].Action)
	require.Empty(t, vs[0].PolicyVersion)
	require.Nil(t, vs[0].Params)

	refund, err := eligo.ActionUpdate(id, eligo.WhoService, actionPolicy, "refund", []byte(`{"amount":"1"}`), nil)
	require.NoError(t, err)
	rs, err := store.UpdateOrders(ctx, []eligo.Update{
		attributesEvent("ev-old-1", id, map[string]string{"city": "AMS"}),
		deadlineEvent("ev-old-2", id, "event_starts_at", epoch.Add(48*time.Hour)),
		refund,
	})
	require.NoError(t, err)
	for i, r := range rs {
		require.Equal(t, eligo.OutcomeApplied, r.Outcome, "update %d: %v", i, r.Err)
	}
	got, err := store.FindOrder(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []eligo.Attribute{{Key: "city", Value: "AMS"}}, got.Attributes)
	require.Len(t, got.Deadlines, 1)
	require.Equal(t, []string{"refund"}, got.Taken)
	require.Equal(t, o.Version+3, got.Version)
	v, err := store.FindVersion(ctx, rs[2].VersionID)
	require.NoError(t, err)
	require.Equal(t, "refund", v.Action)
	require.JSONEq(t, `{"amount":"1"}`, string(v.Params))
}
