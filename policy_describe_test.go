package eligo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestActionPolicyRules(t *testing.T) {
	t.Parallel()
	windows, blocks := eligo.DefaultPolicy().Action("cancel").Rules()
	require.Equal(t, []eligo.RuleInfo{{Name: "sla_breached", From: "promised_at"}}, windows)
	require.Equal(t, []eligo.RuleInfo{
		{Name: "cancelled", Status: []string{"CANCELLED"}},
		{Name: "delivered", Status: []string{"DELIVERED"}, DriverStatus: []string{"DELIVERED"}},
		{Name: "payment_expired", PaymentStatus: []string{"PENDING", "FAILED"}, From: "payment_timeout_at"},
		{Name: "expired", Status: []string{"EXPIRED"}},
		{Name: "driver_at_doorstep", DriverStatus: []string{"ARRIVED_AT_DOORSTEP"}},
	}, blocks)

	p, err := eligo.ParsePolicy([]byte(segmentPolicy))
	require.NoError(t, err)
	windows, blocks = p.Action("refund").Rules()
	require.Equal(t, []eligo.RuleInfo{{Name: "before_event", From: "placed_at", To: "deadline.event_starts_at-48h"}}, windows)
	require.Empty(t, blocks, "already_taken is Decide's, not the file's")

	ams := &p.Segments[1]
	require.Equal(t, "amsterdam", ams.Name)
	require.Equal(t, []eligo.SegmentMatch{{Key: "city", Values: []string{"AMS", "Amsterdam"}}}, ams.Match())
	windows, _ = ams.Actions[0].Rules()
	require.Equal(t, []eligo.RuleInfo{{Name: "sla_breached_grace", From: "promised_at+5m"}}, windows)
	require.False(t, ams.Actions[0].SameRules(p.Action("cancel")), "amsterdam has its own cancel")
	require.True(t, ams.Actions[1].SameRules(p.Action("refund")), "and the default refund")
}
