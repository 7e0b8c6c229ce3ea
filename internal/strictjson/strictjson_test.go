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

// An Object member takes an object (kept as sent) or null, and nothing
// else; Strings reads such an object of strings.
func TestObjectMember(t *testing.T) {
	t.Parallel()
	read := func(in string) ([]strictjson.Member, error) {
		ms := []strictjson.Member{{Name: "id"}, {Name: "attributes", Object: true}}
		err := strictjson.ReadObject(strictjson.NewDecoder([]byte(in)), "the order", ms)
		return ms, err
	}
	ms, err := read(`{"id":"o-1","attributes":{"city":"AMS", "tier":"gold"}}`)
	require.NoError(t, err)
	require.True(t, ms[1].Set)
	require.Equal(t, `{"city":"AMS", "tier":"gold"}`, string(ms[1].Raw))
	got, err := strictjson.Strings(ms[1].Raw, "attributes", "the order")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"city": "AMS", "tier": "gold"}, got)

	ms, err = read(`{"attributes":null}`)
	require.NoError(t, err)
	require.False(t, ms[1].Set)
	require.True(t, ms[1].Null)

	for in, want := range map[string]string{
		`{"attributes":"AMS"}`:                     `field "attributes" of the order is a JSON string; expected an object`,
		`{"attributes":["AMS"]}`:                   `field "attributes" of the order is a JSON array; expected an object`,
		`{"id":{"a":"b"}}`:                         `field "id" of the order is a JSON object; expected a string`,
		`{"attributes":{"a":"b","a":"c"}}`:         `the order has the member "a" twice; send each member once`,
		`{"attributes":{"a":"b"},"attributes":{}}`: `the order has the member "attributes" twice; send each member once`,
	} {
		_, err := read(in)
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "%s: %v", in, err)
		require.Equal(t, want, eligo.ErrorMessage(err), in)
	}
	for in, want := range map[string]string{
		`{"a":1}`:    `member "a" of field "attributes" of the order is a JSON number; expected a string`,
		`{"a":null}`: `member "a" of field "attributes" of the order is a JSON null; expected a string`,
		`{"a":{}}`:   `member "a" of field "attributes" of the order is a JSON object; expected a string`,
	} {
		_, err := strictjson.Strings([]byte(in), "attributes", "the order")
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "%s: %v", in, err)
		require.Equal(t, want, eligo.ErrorMessage(err), in)
	}
}
