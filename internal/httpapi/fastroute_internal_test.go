package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEligibilityIDAgreesWithTheMux pins eligibilityFirst to the mux:
// every request it takes, the mux routes to the eligibility pattern with
// the same {id}; the plain case is taken, and the rest is left to the mux.
func TestEligibilityIDAgreesWithTheMux(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	var pattern, id string
	record := func(w http.ResponseWriter, r *http.Request) { pattern, id = r.Pattern, r.PathValue("id") }
	mux.HandleFunc(eligibilityPattern, record)
	mux.HandleFunc("GET /v1/orders/{id}", record)
	mux.HandleFunc("/", record)

	taken := map[string]string{ // method and target: the id taken
		"GET /v1/orders/ord-1/eligibility":  "ord-1",
		"GET /v1/orders/a%20b/eligibility":  "a b",
		"GET /v1/orders/%25/eligibility":    "%",
		"GET /v1/orders/é/eligibility":      "", // sent unescaped: RawPath is set, so the mux decides
		"GET /v1/orders/x?y=1/eligibility":  "",
		"GET /v1/orders/eligibility":        "",
		"GET /v1/orders//eligibility":       "",
		"GET /v1/orders/a/b/eligibility":    "",
		"GET /v1/orders/a%2Fb/eligibility":  "",
		"GET /v1/orders/a/eligibility/":     "",
		"GET /v1/orders/a/eligibilityx":     "",
		"GET /v2/orders/a/eligibility":      "",
		"HEAD /v1/orders/ord-1/eligibility": "",
		"POST /v1/orders/ord-1/eligibility": "",
	}
	for target, want := range taken {
		method, uri, _ := strings.Cut(target, " ")
		r := httptest.NewRequest(method, uri, nil)
		got, ok := eligibilityID(r)
		require.Equal(t, want != "", ok, "%s taken", target)
		require.Equal(t, want, got, target)
		if !ok {
			continue
		}
		pattern, id = "", ""
		mux.ServeHTTP(httptest.NewRecorder(), r)
		require.Equal(t, eligibilityPattern, pattern, "%s: the mux's route", target)
		require.Equal(t, got, id, "%s: the mux's id", target)
	}
}

func TestHeaderValuesAreIndependent(t *testing.T) {
	t.Parallel()
	var values [][]string
	for i := range 3 * arenaValues { // more than one block of each
		values = append(values, headerValue([]byte(strings.Repeat("v", i%50)+"-"+string(rune('a'+i%26)))))
	}
	big := headerValue([]byte(strings.Repeat("b", arenaBytes)))
	for i, v := range values {
		require.Len(t, v, 1)
		require.Equal(t, strings.Repeat("v", i%50)+"-"+string(rune('a'+i%26)), v[0], "value %d", i)
	}
	require.Equal(t, strings.Repeat("b", arenaBytes), big[0])

	first, second := headerValue([]byte("first")), headerValue([]byte("second"))
	h := http.Header{"X-A": first}
	h.Add("X-A", "added")
	require.Equal(t, []string{"first", "added"}, h["X-A"])
	require.Equal(t, []string{"second"}, second, "an append to one value leaves the next alone")

	b := []byte("mutable")
	v := headerValue(b)
	b[0] = 'M'
	require.Equal(t, "mutable", v[0], "the value is a copy of the bytes")
}
