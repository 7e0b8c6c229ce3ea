package strictjson_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/strictjson"
)

func TestTimestamp(t *testing.T) {
	t.Parallel()
	ok := map[string]time.Time{
		"2025-03-14T12:10:00Z":                time.Date(2025, 3, 14, 12, 10, 0, 0, time.UTC),
		"2025-03-14T12:10:00.123456789Z":      time.Date(2025, 3, 14, 12, 10, 0, 123456789, time.UTC),
		"2025-03-14T13:10:00+01:00":           time.Date(2025, 3, 14, 12, 10, 0, 0, time.UTC),
		"2025-03-14T00:10:00.5-12:00":         time.Date(2025, 3, 14, 12, 10, 0, 5e8, time.UTC),
		"2025-03-14T12:10:00.000000000+00:00": time.Date(2025, 3, 14, 12, 10, 0, 0, time.UTC),
	}
	for v, want := range ok {
		got, err := strictjson.Timestamp("at", v)
		require.NoError(t, err, v)
		require.True(t, want.Equal(got), "%s: %v", v, got)
	}
	for _, v := range []string{
		"", " ", "now", "2025-03-14", "2025-03-14T12:10:00", "2025-03-14 12:10:00Z", "2025-03-14t12:10:00z",
		"2025-03-14T1:10:00Z", "2025-3-14T12:10:00Z", "2025-03-14T12:10:00,5Z", "2025-03-14T12:10:00.Z",
		"2025-03-14T12:10:00+24:00", "2025-03-14T12:10:00+01:60", "2025-03-14T12:10:00+0100", "2025-02-30T12:10:00Z",
		"2025-03-14T25:10:00Z", "+2025-03-14T12:10:00Z", "2025-03-14T12:10:00Z ",
	} {
		_, err := strictjson.Timestamp("at", v)
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "%q: %v", v, err)
		require.Equal(t, `at is "`+v+`"; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`, eligo.ErrorMessage(err))
	}
}
