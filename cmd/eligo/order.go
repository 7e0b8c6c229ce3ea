package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eligo/eligo"
)

// runOrder shows one order as a running server has it, for an operator at
// a terminal: `eligo order get|versions|eligibility ID`. It asks the API
// with the service token and prints the answer for people, or as the
// server sent it with --json. An error answer is printed as its detail.
func runOrder(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return orderFlags(new(orderConfig), "order get|versions|eligibility ID").parse([]string{"-h"}, getenv, stdout, orderAbout)
	}
	if len(args) == 0 || orderPaths[args[0]] == "" {
		return &usageError{"order", errors.New(`order: expected "eligo order get|versions|eligibility ID"`)}
	}
	sub, rest := args[0], args[1:]
	cmd := "order " + sub
	id, rest := orderID(rest)
	var c orderConfig
	if err := orderFlags(&c, cmd).parse(rest, getenv, stdout, orderAbout); err != nil {
		return err
	}
	if id == "" {
		return &usageError{cmd, fmt.Errorf("%s: expected the order id: eligo %s ID", cmd, cmd)}
	}
	if err := eligo.ValidateID("order id", id); err != nil {
		return &usageError{cmd, fmt.Errorf("%s: %s", cmd, eligo.ErrorMessage(err))}
	}
	token, err := c.token(getenv)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	body, err := orderRequest(ctx, c, token, fmt.Sprintf(orderPaths[sub], url.PathEscape(id)))
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if c.JSON {
		_, err = stdout.Write(append(bytes.TrimSpace(body), '\n'))
		return err
	}
	var w bytes.Buffer
	now := time.Now()
	switch sub {
	case "get":
		err = printOrder(&w, body, now)
	case "versions":
		err = printVersions(&w, body)
	case "eligibility":
		err = printEligibility(&w, body, now)
	}
	if err != nil {
		return fmt.Errorf("%s: the server's answer is not what this eligo expects (%v); --json prints it as it is", cmd, err)
	}
	_, err = stdout.Write(w.Bytes())
	return err
}

// orderPaths are the API path of each subcommand.
var orderPaths = map[string]string{
	"get":         "/v1/orders/%s",
	"versions":    "/v1/orders/%s/versions",
	"eligibility": "/v1/orders/%s/eligibility",
}

// orderAbout is the help of `eligo order`.
const orderAbout = `Show an order as a running eligo has it, with the service token:
  eligo order get ID           the order document
  eligo order versions ID      its version records, oldest first
  eligo order eligibility ID   what may be done with it now, and until when
Human-readable by default; --json prints the server's JSON as it is. An
error answer is printed as its detail, with exit status 1.`

// orderConfig is the configuration of `eligo order`.
type orderConfig struct {
	URL, Token, DataDir string
	JSON                bool
	Timeout             time.Duration
}

func orderFlags(c *orderConfig, cmd string) *flagSet {
	f := newFlagSet(cmd)
	c.flags(f)
	return f
}

// flags declares the flags of `eligo order` into c.
func (c *orderConfig) flags(f *flagSet) {
	f.String(&c.URL, "url", "http://127.0.0.1:8080", "the server")
	f.String(&c.Token, "token", "", "service token; empty means the first of ELIGO_SERVICE_TOKENS, else the one in --data-dir")
	f.envName("token", "ELIGO_SERVICE_TOKEN")
	f.String(&c.DataDir, "data-dir", "", "the server's data directory, whose secrets.json has the service token when none is given")
	o := f.scoped("ELIGO_ORDER_")
	o.Bool(&c.JSON, "json", false, "print the server's JSON as it is, for scripts")
	o.Duration(&c.Timeout, "timeout", 10*time.Second, time.Millisecond, "limit of the request")
}

// token is the service token: --token, else ELIGO_SERVICE_TOKENS, else the
// data directory's secrets (never created here).
func (c orderConfig) token(getenv func(string) string) (string, error) {
	if c.Token != "" {
		return c.Token, nil
	}
	if t := firstToken(getenv("ELIGO_SERVICE_TOKENS")); t != "" {
		return t, nil
	}
	if c.DataDir != "" {
		s, err := readSecretsFile(c.DataDir)
		if err != nil {
			return "", errors.New(strings.TrimPrefix(err.Error(), "load: "))
		}
		return s.ServiceTokens[0], nil
	}
	return "", errors.New("needs the service token: --token (ELIGO_SERVICE_TOKEN), ELIGO_SERVICE_TOKENS, or --data-dir of the server")
}

// orderID takes the order id out of args: the first argument, or the last,
// whichever is not a flag.
func orderID(args []string) (string, []string) {
	if len(args) == 0 {
		return "", args
	}
	if !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	if last := args[len(args)-1]; !strings.HasPrefix(last, "-") && !flagTakesValue(args[len(args)-2]) {
		return last, args[:len(args)-1]
	}
	return "", args
}

// flagTakesValue reports whether arg is a flag of `eligo order` that takes
// the next argument as its value (--url URL).
func flagTakesValue(arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	fl := orderFlags(new(orderConfig), "order").fs.Lookup(name)
	if fl == nil {
		return false
	}
	_, isBool := fl.Value.(*boolValue)
	return !isBool
}

// orderRequest GETs path with the service token and returns the body of a
// 200; any other answer is an error with the problem's detail.
func orderRequest(ctx context.Context, c orderConfig, token, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.URL, "/")+path, nil)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %v", c.URL, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server at %s: %v", c.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer from %s: %v", c.URL, err)
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return nil, fmt.Errorf("%s (%d)", p.Detail, resp.StatusCode)
	}
	return nil, fmt.Errorf("the server answered %s", resp.Status)
}

type orderDoc struct {
	ID               string               `json:"id"`
	CustomerID       string               `json:"customer_id"`
	Status           string               `json:"status"`
	DriverStatus     *string              `json:"driver_status"`
	PaymentStatus    string               `json:"payment_status"`
	PlacedAt         time.Time            `json:"placed_at"`
	PromisedAt       time.Time            `json:"promised_at"`
	PaymentTimeoutAt *time.Time           `json:"payment_timeout_at"`
	Version          int64                `json:"version"`
	UpdatedAt        time.Time            `json:"updated_at"`
	Attributes       map[string]string    `json:"attributes"`
	Deadlines        map[string]time.Time `json:"deadlines"`
	Taken            []string             `json:"taken"`
}

func printOrder(w io.Writer, body []byte, now time.Time) error {
	var o orderDoc
	if err := json.Unmarshal(body, &o); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "order\t%s\n", o.ID)
	fmt.Fprintf(tw, "customer\t%s\n", o.CustomerID)
	fmt.Fprintf(tw, "version\t%d\n", o.Version)
	fmt.Fprintf(tw, "status\t%s\n", o.Status)
	fmt.Fprintf(tw, "driver status\t%s\n", orNone(o.DriverStatus))
	fmt.Fprintf(tw, "payment status\t%s\n", o.PaymentStatus)
	fmt.Fprintf(tw, "placed at\t%s\n", when(o.PlacedAt, now))
	fmt.Fprintf(tw, "promised at\t%s\n", when(o.PromisedAt, now))
	if o.PaymentTimeoutAt != nil {
		fmt.Fprintf(tw, "payment timeout at\t%s\n", when(*o.PaymentTimeoutAt, now))
	} else {
		fmt.Fprintf(tw, "payment timeout at\t(none)\n")
	}
	fmt.Fprintf(tw, "updated at\t%s\n", when(o.UpdatedAt, now))
	for _, k := range slices.Sorted(maps.Keys(o.Attributes)) {
		fmt.Fprintf(tw, "attribute %s\t%s\n", k, o.Attributes[k])
	}
	for _, k := range slices.Sorted(maps.Keys(o.Deadlines)) {
		fmt.Fprintf(tw, "deadline %s\t%s\n", k, when(o.Deadlines[k], now))
	}
	if len(o.Taken) > 0 {
		fmt.Fprintf(tw, "taken\t%s\n", strings.Join(o.Taken, ", "))
	}
	return tw.Flush()
}

type versionDoc struct {
	ID            int64             `json:"id"`
	Event         string            `json:"event"`
	Whodunnit     string            `json:"whodunnit"`
	ObjectChanges map[string][2]any `json:"object_changes"`
	EventID       string            `json:"event_id"`
	OccurredAt    *time.Time        `json:"occurred_at"`
	OrderVersion  int64             `json:"order_version"`
	CreatedAt     time.Time         `json:"created_at"`
	Host          string            `json:"host"`
	Build         string            `json:"build"`
}

func printVersions(w io.Writer, body []byte) error {
	var doc struct {
		Versions []versionDoc `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return err
	}
	if len(doc.Versions) == 0 {
		_, err := fmt.Fprintln(w, "no versions")
		return err
	}
	for _, v := range doc.Versions {
		line := fmt.Sprintf("version %d (record %d): %s by %s at %s on %s, build %s",
			v.OrderVersion, v.ID, v.Event, v.Whodunnit, v.CreatedAt.UTC().Format(time.RFC3339Nano), v.Host, v.Build)
		if v.EventID != "" {
			line += ", event " + v.EventID
			if v.OccurredAt != nil {
				line += " (occurred " + v.OccurredAt.UTC().Format(time.RFC3339Nano) + ")"
			}
		}
		fmt.Fprintln(w, line)
		keys := make([]string, 0, len(v.ObjectChanges))
		for k := range v.ObjectChanges {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range keys {
			ch := v.ObjectChanges[k]
			fmt.Fprintf(tw, "    %s\t%s -> %s\n", k, jsonValue(ch[0]), jsonValue(ch[1]))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func printEligibility(w io.Writer, body []byte, now time.Time) error {
	var doc struct {
		OrderID string `json:"order_id"`
		Version int64  `json:"version"`
		AsOf    string `json:"as_of"`
		Actions map[string]struct {
			Allowed bool       `json:"allowed"`
			Reason  string     `json:"reason"`
			Until   *time.Time `json:"until"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return err
	}
	fmt.Fprintf(w, "order %s, version %d, as of %s\n", doc.OrderID, doc.Version, doc.AsOf)
	names := make([]string, 0, len(doc.Actions))
	for n := range doc.Actions {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, n := range names {
		a := doc.Actions[n]
		verdict := "not allowed"
		if a.Allowed {
			verdict = "allowed"
		}
		until := "until an event changes it"
		if a.Until != nil {
			until = "until " + when(*a.Until, now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n, verdict, a.Reason, until)
	}
	return tw.Flush()
}

// when is t in UTC with how far it is from now.
func when(t time.Time, now time.Time) string {
	s := t.UTC().Format(time.RFC3339Nano)
	d := t.Sub(now).Round(time.Second)
	switch {
	case d > 0:
		return s + " (in " + d.String() + ")"
	case d < 0:
		return s + " (" + (-d).String() + " ago)"
	}
	return s + " (now)"
}

func orNone(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

func jsonValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
