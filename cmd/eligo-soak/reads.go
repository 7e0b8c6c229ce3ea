package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eligibility"
)

// read is one GET /v1/orders/{id}/eligibility and its answer.
type read struct {
	order   int
	took    time.Duration
	status  int
	body    []byte
	etag    string
	failure string // a transport failure
}

// readEligibility reads the eligibility of each order in turn, one request
// at a time on one kept-alive connection, each with the token tokenFor
// gives (the order's customer's, or the service token).
func readEligibility(ctx context.Context, baseURL string, orders []int, tokenFor func(i int) string) []read {
	client := &http.Client{Timeout: 30 * time.Second}
	reads := make([]read, 0, len(orders))
	for _, i := range orders {
		if ctx.Err() != nil {
			break
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/v1/orders/"+orderID(i)+"/eligibility", nil)
		if err != nil {
			reads = append(reads, read{order: i, failure: err.Error()})
			continue
		}
		req.Header.Set("Authorization", "Bearer "+tokenFor(i))
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			reads = append(reads, read{order: i, failure: err.Error()})
			continue
		}
		body, err := io.ReadAll(resp.Body)
		took := time.Since(start)
		resp.Body.Close()
		r := read{order: i, took: took, status: resp.StatusCode, body: body, etag: resp.Header.Get("Etag")}
		if err != nil {
			r.failure = err.Error()
		}
		reads = append(reads, r)
	}
	return reads
}

// latency is what a set of reads measured and how many were right.
type latency struct {
	N       int     `json:"n"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
	MaxUs   float64 `json:"max_us"`
	Correct int     `json:"correct"` // same document and ETag as built from the store's order
	Example string  `json:"example_mismatch,omitempty"`
}

func measure(reads []read) latency {
	ds := make([]time.Duration, 0, len(reads))
	for _, r := range reads {
		if r.failure == "" {
			ds = append(ds, r.took)
		}
	}
	l := latency{N: len(reads)}
	if len(ds) == 0 {
		return l
	}
	slices.Sort(ds)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	l.P50us, l.P99us, l.MaxUs = us(quantile(ds, .50)), us(quantile(ds, .99)), us(ds[len(ds)-1])
	return l
}

// quantile returns the q-quantile of sorted s (nearest rank).
func quantile(s []time.Duration, q float64) time.Duration {
	i := int(float64(len(s))*q+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// verify checks each read against the store: a 200 whose body and ETag
// are the document eligibility.Build makes from the store's order at the
// answer's as_of, under the built-in policy the soak serves with. It sets
// l.Correct and an example of a mismatch.
func verify(ctx context.Context, store eligo.OrderStore, reads []read, l *latency) error {
	policy := eligo.DefaultPolicy()
	for _, r := range reads {
		why, err := mismatch(ctx, store, policy, r)
		if err != nil {
			return err
		}
		if why == "" {
			l.Correct++
		} else if l.Example == "" {
			l.Example = why
		}
	}
	return nil
}

// mismatch says how r differs from the store's document ("" when it does
// not); an error is the store's failure to answer.
func mismatch(ctx context.Context, store eligo.OrderStore, policy *eligo.Policy, r read) (string, error) {
	id := orderID(r.order)
	switch {
	case r.failure != "":
		return id + ": " + r.failure, nil
	case r.status != http.StatusOK:
		return fmt.Sprintf("%s: status %d: %s", id, r.status, bytes.TrimSpace(r.body)), nil
	}
	var got struct {
		AsOf time.Time `json:"as_of"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		return fmt.Sprintf("%s: the answer is not a document: %v", id, err), nil
	}
	o, err := store.FindOrder(ctx, id)
	if eligo.ErrorCode(err) == eligo.ENOTFOUND {
		return id + ": answered, but the store has no such order", nil
	} else if err != nil {
		return "", err
	}
	want := eligibility.Build(&o, policy, "", got.AsOf)
	if body := want.AppendJSON(nil); !bytes.Equal(bytes.TrimSpace(r.body), body) {
		return fmt.Sprintf("%s: answered %s; the store's order makes %s", id, bytes.TrimSpace(r.body), body), nil
	}
	if tag := want.ETag(); r.etag != tag {
		return fmt.Sprintf("%s: ETag %s; the store's order makes %s", id, r.etag, tag), nil
	}
	return "", nil
}
