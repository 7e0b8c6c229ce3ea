package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/testenv"
)

// The documentation's shell examples are run by TestDocsExamples, so that
// one that goes stale fails CI. The convention, for README.md and docs/*.md:
//
//   - A fenced block whose info string is "sh runnable" is run; every shell
//     block (sh, bash, shell, console or no info string) that calls curl
//     must be one.
//   - The runnable blocks of one file run in order, in one bash (set -eu,
//     pipefail), in a fresh directory where `eligo serve --data-dir
//     ./eligo-data` is listening, with `eligo` on PATH: what the README's
//     "Running it" starts. localhost:8080 and 127.0.0.1:8080 in them are
//     replaced by that server's address, and ELIGO_URL is its URL (for
//     eligo order, whose default is http://127.0.0.1:8080).
//   - Every curl call is followed by its expectation, a comment
//     `# -> STATUS` or `# -> STATUS {JSON}` (the JSON may go on over the
//     next comment lines): the answer has that status and, when JSON is
//     given, a JSON body holding those members with those values (objects
//     are compared member by member, recursively; arrays element by
//     element, with the same length). Members not shown are not checked.

// asMainVar makes the test binary behave as eligo, so that the examples
// call the eligo under test without building it.
const asMainVar = "ELIGO_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainVar) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// docBlock is one fenced block of a Markdown file.
type docBlock struct {
	file     string
	line     int // of the first line of content
	info     string
	lines    []string
	runnable bool
}

var fence = regexp.MustCompile("^( *)(```+)(.*)$")

// docBlocks returns the fenced blocks of a Markdown file, indented ones
// (in list items) included.
func docBlocks(name string, text string) []docBlock {
	var out []docBlock
	var cur *docBlock
	indent, marker := "", ""
	for i, line := range strings.Split(text, "\n") {
		if cur == nil {
			if m := fence.FindStringSubmatch(line); m != nil {
				indent, marker = m[1], m[2]
				info := strings.TrimSpace(m[3])
				f := strings.Fields(info)
				cur = &docBlock{file: name, line: i + 2, info: info, runnable: len(f) == 2 && f[0] == "sh" && f[1] == "runnable"}
			}
			continue
		}
		if strings.TrimSpace(line) == marker {
			out = append(out, *cur)
			cur = nil
			continue
		}
		cur.lines = append(cur.lines, strings.TrimPrefix(line, indent))
	}
	return out
}

var curlCall = regexp.MustCompile(`(^|[\s;|&(])curl\s`)

// callsCurl reports whether a shell block (info string sh, bash, shell,
// console or none) runs curl outside comments.
func (b docBlock) callsCurl() bool {
	switch f := strings.Fields(b.info); {
	case len(f) == 0:
	case f[0] == "sh" || f[0] == "bash" || f[0] == "shell" || f[0] == "console":
	default:
		return false
	}
	for _, l := range b.lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") && curlCall.MatchString(l) {
			return true
		}
	}
	return false
}

// expectation is a `# -> STATUS {JSON}` comment.
type expectation struct {
	where  string // file:line
	status int
	body   any // nil: not checked
}

// parseExpectations returns the script of a runnable block, with a call to
// __expect N after each expectation, and the expectations it found.
func parseExpectations(b docBlock, first int) (script []string, exps []expectation, err error) {
	for i := 0; i < len(b.lines); i++ {
		line := b.lines[i]
		script = append(script, line)
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "# ->")
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s:%d", b.file, b.line+i)
		code, body, _ := strings.Cut(strings.TrimSpace(rest), " ")
		status, err := strconv.Atoi(code)
		if err != nil || status < 100 || status > 599 {
			return nil, nil, fmt.Errorf("%s: expectation %q: expected `# -> STATUS` or `# -> STATUS {JSON}`", where, line)
		}
		e := expectation{where: where, status: status}
		body = strings.TrimSpace(body)
		for body != "" {
			var v any
			if json.Unmarshal([]byte(body), &v) == nil {
				e.body = v
				break
			}
			if i+1 >= len(b.lines) || !strings.HasPrefix(strings.TrimSpace(b.lines[i+1]), "#") {
				return nil, nil, fmt.Errorf("%s: the JSON of the expectation does not parse: %s", where, body)
			}
			i++
			script = append(script, b.lines[i])
			body += " " + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(b.lines[i]), "#"))
		}
		exps = append(exps, e)
		script = append(script, fmt.Sprintf("__expect %d", first+len(exps)))
	}
	return script, exps, nil
}

// contains reports where got lacks what want shows, "" when it has it all.
func contains(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %v", path, got)
		}
		for _, k := range slices.Sorted(maps.Keys(w)) { // the first difference by name, every time
			wv := w[k]
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			}
			if d := contains(wv, gv, path+"."+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want an array of %d, got %v", path, len(w), got)
		}
		for i := range w {
			if d := contains(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s: want %v, got %v", path, want, got)
	}
	return ""
}

// docFiles are the Markdown files whose examples are run.
func docFiles(t *testing.T) []string {
	files, err := filepath.Glob("../../docs/*.md")
	require.NoError(t, err)
	return append([]string{"../../README.md"}, files...)
}

// curlWrapper records each call's status and body in $EXAMPLES_CALLS and
// prints the body as curl would.
const curlWrapper = `#!/bin/bash
n=1; while [ -e "$EXAMPLES_CALLS/$n.status" ]; do n=$((n+1)); done
"$EXAMPLES_REAL_CURL" "$@" -o "$EXAMPLES_CALLS/$n.body" -w '%{http_code}' > "$EXAMPLES_CALLS/$n.tmp"
rc=$?
mv "$EXAMPLES_CALLS/$n.tmp" "$EXAMPLES_CALLS/$n.status"
cat "$EXAMPLES_CALLS/$n.body" 2>/dev/null; echo
exit $rc
`

const examplesPrelude = `set -eu -o pipefail
__expect() { n=0; while [ -e "$EXAMPLES_CALLS/$((n+1)).status" ]; do n=$((n+1)); done; echo "$1 $n" >> "$EXAMPLES_MARKS"; }
`

// lookTool returns the path of a tool the examples run. Without it the
// test skips, saying so, except under CI (CI=true), where .ci/run installs
// it and its absence is a failure.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("the documentation's examples need %s: %v", name, err)
		}
		t.Skipf("the documentation's examples need %s, which is not on PATH: skipped", name)
	}
	return p
}

// TestDocsExamples runs the runnable shell blocks of README.md and docs/
// against a real `eligo serve` and checks every curl answer against the
// expectation written after it (the convention is at the top of this file).
func TestDocsExamples(t *testing.T) {
	t.Parallel()
	bash, realCurl := lookTool(t, "bash"), lookTool(t, "curl")
	self, err := os.Executable()
	require.NoError(t, err)

	for _, path := range docFiles(t) {
		text, err := os.ReadFile(path)
		require.NoError(t, err)
		name := strings.TrimPrefix(path, "../../")
		var runnable []docBlock
		for _, b := range docBlocks(name, string(text)) {
			if b.runnable {
				runnable = append(runnable, b)
			} else if b.callsCurl() {
				t.Errorf("%s:%d: a block that calls curl must be runnable (info string \"sh runnable\") so that this test runs it", name, b.line)
			}
		}
		if len(runnable) == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin, calls := filepath.Join(dir, "bin"), filepath.Join(dir, "calls")
			work := filepath.Join(dir, "work")
			for _, d := range []string{bin, calls, work} {
				require.NoError(t, os.Mkdir(d, 0o755))
			}
			require.NoError(t, os.Symlink(self, filepath.Join(bin, "eligo")))
			require.NoError(t, os.WriteFile(filepath.Join(bin, "curl"), []byte(curlWrapper), 0o755))

			// What the README's "Running it" starts: secrets generated
			// into ./eligo-data, which `eligo token` then reads.
			srv := startServe(t, filepath.Join(work, "eligo-data"), func(string) string { return "" })
			addr := strings.TrimPrefix(srv.url, "http://")

			script := []string{examplesPrelude}
			var exps []expectation
			for _, b := range runnable {
				s, e, err := parseExpectations(b, len(exps))
				require.NoError(t, err)
				script = append(script, fmt.Sprintf("# %s:%d", b.file, b.line))
				script = append(script, s...)
				exps = append(exps, e...)
			}
			src := strings.Join(script, "\n") + "\n"
			src = strings.NewReplacer("localhost:8080", addr, "127.0.0.1:8080", addr).Replace(src)

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bash, "-c", src)
			cmd.Dir = work
			cmd.Env = []string{
				"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
				"HOME=" + dir, "LANG=C", "TZ=UTC",
				asMainVar + "=1",
				"ELIGO_URL=" + srv.url,
				"EXAMPLES_CALLS=" + calls,
				"EXAMPLES_MARKS=" + filepath.Join(dir, "marks"),
				"EXAMPLES_REAL_CURL=" + realCurl,
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			runErr := cmd.Run()

			marks, _ := os.ReadFile(filepath.Join(dir, "marks"))
			reached := strings.Fields(string(marks))
			for i := 0; i+1 < len(reached); i += 2 {
				k, _ := strconv.Atoi(reached[i])
				n, _ := strconv.Atoi(reached[i+1])
				e := exps[k-1]
				if n != k {
					t.Errorf("%s: %d curl calls before this expectation, want 1 (give each call its own `# ->` line)", e.where, n-(k-1))
					continue
				}
				status, _ := os.ReadFile(filepath.Join(calls, strconv.Itoa(n)+".status"))
				body, _ := os.ReadFile(filepath.Join(calls, strconv.Itoa(n)+".body"))
				if got, _ := strconv.Atoi(string(status)); got != e.status {
					t.Errorf("%s: status %s, want %d; body: %s", e.where, status, e.status, body)
					continue
				}
				if e.body == nil {
					continue
				}
				var got any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Errorf("%s: the body is not JSON (%v): %s", e.where, err, body)
					continue
				}
				if d := contains(e.body, got, "$"); d != "" {
					t.Errorf("%s: %s; body: %s", e.where, d, body)
				}
			}
			if runErr != nil {
				t.Fatalf("the examples of %s stopped (%v) after %d of %d expectations:\n%s", name, runErr, len(reached)/2, len(exps), out.String())
			}
			require.Len(t, reached, 2*len(exps), "every expectation was reached")
			entries, err := filepath.Glob(filepath.Join(calls, "*.status"))
			require.NoError(t, err)
			require.Len(t, entries, len(exps), "a curl call after the last expectation has none:\n%s", out.String())
			if t.Failed() {
				t.Logf("output of the examples:\n%s", out.String())
			}
		})
	}
}

// TestDocsExamplesConvention pins how blocks and expectations are read, so
// that a mistake in an example fails rather than passes unchecked.
func TestDocsExamplesConvention(t *testing.T) {
	t.Parallel()
	md := "text\n```sh runnable\ncurl a\n# -> 201 {\"a\":1,\n#         \"b\":{\"c\":[1,2]}}\n```\n" +
		"1. step\n   ```sh\n   curl b\n   ```\n```js\nconst curl = 1;\n```\n"
	blocks := docBlocks("x.md", md)
	require.Len(t, blocks, 3)
	require.True(t, blocks[0].runnable)
	require.Equal(t, 3, blocks[0].line)
	require.False(t, blocks[1].runnable)
	require.True(t, blocks[1].callsCurl(), "an indented block is read too")
	require.Equal(t, []string{"curl b"}, blocks[1].lines)
	require.False(t, blocks[2].callsCurl())

	script, exps, err := parseExpectations(blocks[0], 4)
	require.NoError(t, err)
	require.Equal(t, "__expect 5", script[len(script)-1])
	require.Equal(t, []expectation{{where: "x.md:4", status: 201, body: map[string]any{"a": 1.0, "b": map[string]any{"c": []any{1.0, 2.0}}}}}, exps)

	for _, bad := range []string{"# -> ok", "# -> 99", "# -> 200 {\"a\":"} {
		_, _, err := parseExpectations(docBlock{file: "x.md", line: 1, lines: []string{"curl a", bad}}, 0)
		require.Error(t, err, bad)
	}

	want := map[string]any{"a": 1.0, "b": map[string]any{"c": []any{1.0, 2.0}}}
	require.Empty(t, contains(want, map[string]any{"a": 1.0, "x": "more", "b": map[string]any{"c": []any{1.0, 2.0}, "d": nil}}, "$"))
	require.Equal(t, "$.a: missing", contains(want, map[string]any{"b": 1.0}, "$"))
	require.Contains(t, contains(want, map[string]any{"a": 2.0, "b": map[string]any{"c": []any{1.0, 2.0}}}, "$"), "$.a: want 1, got 2")
	require.Contains(t, contains(want, map[string]any{"a": 1.0, "b": map[string]any{"c": []any{1.0}}}, "$"), "$.b.c: want an array of 2")
	require.Contains(t, contains(map[string]any{"d": nil}, map[string]any{"d": "x"}, "$"), "$.d: want <nil>, got x")
}
