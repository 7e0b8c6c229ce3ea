package live

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newRequest(accept []string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, a := range accept {
		r.Header.Add("Accept", a)
	}
	return r
}

func TestTimerHeap(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	var h timerHeap
	a, b, c := &deadline{index: -1}, &deadline{index: -1}, &deadline{index: -1}

	require.True(t, h.set(a, at(30)), "the first deadline is the earliest")
	require.False(t, h.set(b, at(40)))
	require.True(t, h.set(c, at(10)))
	require.Equal(t, at(10), h.next())

	// Moving an armed deadline later, and disarming one.
	require.False(t, h.set(c, at(50)))
	require.Equal(t, at(30), h.next())
	require.False(t, h.set(a, time.Time{}))
	require.Equal(t, -1, a.index)
	h.remove(a) // disarming twice is harmless
	require.Equal(t, at(40), h.next())

	require.Nil(t, h.popDue(at(39)))
	require.Same(t, b, h.popDue(at(45)))
	require.Equal(t, -1, b.index)
	require.Nil(t, h.popDue(at(45)))
	require.Same(t, c, h.popDue(at(50)), "due at exactly its instant")
	require.True(t, h.next().IsZero())
}
