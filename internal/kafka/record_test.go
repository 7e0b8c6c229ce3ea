package kafka

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eventjson"
)

// TestDecodeRecordGolden holds a record's decoding to the events corpus
// that internal/eventjson pins (NAME.golden), which POST /v1/events is held
// to as well: every body that is not an array means the same here, error
// message included; an array (a batch) is refused, as a record carries one
// event.
func TestDecodeRecordGolden(t *testing.T) {
	t.Parallel()
	ts := time.Date(2025, time.March, 14, 12, 0, 0, 0, time.UTC) // the golden files' now
	paths, err := filepath.Glob(filepath.Join("..", "eventjson", "testdata", "events", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			value, err := os.ReadFile(path)
			require.NoError(t, err)
			want, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".golden")
			require.NoError(t, err)
			e, err := decodeRecord(&kgo.Record{Key: []byte("ord-1"), Value: value, Timestamp: ts})
			got := "error: " + eligo.ErrorMessage(err) + "\n"
			if err == nil {
				got = string(eventjson.Encode(&e)) + "\n"
			}
			if bytes.HasPrefix(bytes.TrimLeft(value, " \t\r\n"), []byte("[")) {
				require.Equal(t, "error: the event is a JSON array; expected an object with event_id, order_id, type, status, attributes, name, at and occurred_at\n", got)
				return
			}
			require.Equal(t, string(want), got)
		})
	}
}
