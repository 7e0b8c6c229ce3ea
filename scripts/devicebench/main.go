// Command devicebench writes the summary of scripts/device-bench.sh: it
// reads what the script left in its output directory (info.txt, the
// script's own key=value lines; readpath.json, `eligo load --ratio --json`;
// livebench.txt, eligo-livebench's report; load.json, `eligo load --json`),
// writes summary.json and summary.txt there, prints the table, and fails
// when a part failed, a figure is missing, or an answer was wrong. Speed is
// reported, never judged.
//
// Usage: go run ./scripts/devicebench DIR
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "devicebench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: devicebench DIR (the output directory of scripts/device-bench.sh)")
	}
	dir := args[0]
	info, err := os.ReadFile(filepath.Join(dir, "info.txt"))
	if err != nil {
		return fmt.Errorf("the script's info.txt: %w", err)
	}
	s := summarize(parseInfo(string(info)), func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, name))
	})
	doc, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	text := s.table()
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(doc, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.txt"), []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprint(stdout, text)
	if !s.OK {
		return fmt.Errorf("%d problems: %s", len(s.Problems), strings.Join(s.Problems, "; "))
	}
	return nil
}
