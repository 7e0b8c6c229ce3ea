package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/policytest"
)

// policyExplainAbout is the help of `eligo policy explain`.
const policyExplainAbout = `eligo policy explain FILE --order ORDER.json [--from T1] [--to T2]

Print, for every action of a policy file and one order, the timeline of
its answers from --from to --to (eligo.Timeline: each answer with the span
it holds on), and at --from every window and block of the rule that
decides it: whether it applies, its bounds on this order, when it next
changes, and the timestamps or deadlines it lacks. ORDER.json is an order
snapshot as a test file's orders hold them, with an optional "id".`

// policyExplainConfig is the configuration of `eligo policy explain`.
type policyExplainConfig struct {
	Order    string
	From, To time.Time
}

// flags declares the flags of `eligo policy explain` into c.
func (c *policyExplainConfig) flags(f *flagSet) {
	p := f.scoped("ELIGO_POLICY_")
	p.String(&c.Order, "order", "", "the order snapshot, a JSON (or YAML) file; required")
	p.Time(&c.From, "from", "start of the span, RFC 3339; default the order's placed_at")
	p.Time(&c.To, "to", "end of the span, RFC 3339; default 24h after --from")
	f.setDefaultText("from", "placed_at")
	f.setDefaultText("to", "--from + 24h")
}

// explainSpan is the span of a timeline when --to is not given.
const explainSpan = 24 * time.Hour

func runPolicyExplain(args []string, getenv func(string) string, stdout io.Writer) error {
	var c policyExplainConfig
	f := newFlagSet("policy explain")
	c.flags(f)
	files, flags := splitArgs(f, args, "")
	if err := f.parse(flags, getenv, stdout, policyExplainAbout); err != nil {
		return err
	}
	if len(files) != 1 {
		return &usageError{"policy explain", errors.New("policy explain: expected one policy file: eligo policy explain FILE --order ORDER.json")}
	}
	if c.Order == "" {
		return &usageError{"policy explain", errors.New("policy explain: --order ORDER.json is required")}
	}
	p, err := readPolicyFile(files[0])
	if err != nil {
		return fmt.Errorf("policy explain: %w", err)
	}
	o, err := policytest.LoadOrder(c.Order)
	if err != nil {
		return fmt.Errorf("policy explain: %s", eligo.ErrorMessage(err))
	}
	if c.From.IsZero() {
		c.From = o.PlacedAt
	}
	if c.To.IsZero() {
		c.To = c.From.Add(explainSpan)
	}
	if !c.To.After(c.From) {
		return &usageError{"policy explain", fmt.Errorf("policy explain: --to (%s) is not after --from (%s)", stamp(c.To), stamp(c.From))}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "order %s under policy %s, from %s to %s\n", o.ID, p.VersionString(), stamp(c.From), stamp(c.To))
	for _, action := range p.ActionNames() {
		explainAction(&b, &o, p, action, c.From, c.To)
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

func explainAction(w io.Writer, o *eligo.Order, p *eligo.Policy, action string, from, to time.Time) {
	e, _ := eligo.Explain(o, p, action, from)
	rules := "the default rules"
	if e.Segment != "" {
		rules = "segment " + e.Segment
	}
	fmt.Fprintf(w, "\n%s (%s)\n  timeline:\n", action, rules)
	spans, _ := eligo.Timeline(o, p, action, from, to)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range spans {
		end := "(for good)"
		if !s.To.IsZero() {
			end = stamp(s.To)
		}
		fmt.Fprintf(tw, "    %s\t-> %s\t%s\t%s\n", stamp(s.From), end, verdictText(s.Allowed), s.Reason)
	}
	tw.Flush()
	fmt.Fprintf(w, "  at %s: %s\n", stamp(from), policytest.DecisionText(e.Decision))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range e.Windows {
		state := "closed"
		if r.Matched {
			state = "open"
		}
		row(tw, "    window", r.Name, state, boundsText(r), nextText(r), missingText(r))
	}
	for _, r := range e.Blocks {
		state := "does not apply"
		switch {
		case r.Matched:
			state = "forbids"
		case r.StatusMatched:
			state = "statuses match, not yet"
		}
		row(tw, "    block", r.Name, state, boundsText(r), nextText(r), missingText(r))
	}
	tw.Flush()
}

// row writes cells as one line of a table, without the empty cells at
// its end (so without trailing blanks).
func row(w io.Writer, cells ...string) {
	for len(cells) > 1 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// boundsText is a rule's bounds as written, with their instants on the
// order: "from promised_at (2026-01-01T12:10:00Z)".
func boundsText(r eligo.RuleState) string {
	var parts []string
	if r.FromBound != "" {
		parts = append(parts, "from "+r.FromBound+instantText(r.From))
	}
	if r.ToBound != "" {
		parts = append(parts, "to "+r.ToBound+instantText(r.To))
	}
	return strings.Join(parts, " ")
}

func instantText(t time.Time) string {
	if t.IsZero() {
		return " (unset)"
	}
	return " (" + stamp(t) + ")"
}

func nextText(r eligo.RuleState) string {
	if r.Next.IsZero() {
		return "no change by the clock"
	}
	return "changes at " + stamp(r.Next)
}

func missingText(r eligo.RuleState) string {
	if len(r.Missing) == 0 {
		return ""
	}
	return "the order lacks " + strings.Join(r.Missing, ", ")
}

func verdictText(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "not allowed"
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
