package eligo_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestBuildVersionAndHostname(t *testing.T) {
	t.Parallel()
	require.NotEmpty(t, eligo.BuildVersion())
	want, err := os.Hostname()
	if err != nil || want == "" {
		want = "unknown"
	}
	require.Equal(t, want, eligo.Hostname())
}
