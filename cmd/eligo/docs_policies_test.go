package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/eligo/eligo"
)

// TestDocsPoliciesAreValid parses every sample policy under docs/policies/
// as the server would, and checks that each ships with its test file
// (NAME.test.yaml, naming NAME.policy.json beside it), which `eligo policy test`
// runs in CI.
func TestDocsPoliciesAreValid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../docs/policies/*.policy.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no sample policies under docs/policies/")
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".policy.json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			p, err := eligo.ParsePolicy(data)
			require.NoError(t, err, "%s is not a valid policy", path)
			require.NotEmpty(t, p.ActionNames())

			test, err := os.ReadFile(filepath.Join(filepath.Dir(path), name+".test.yaml"))
			require.NoError(t, err, "every sample policy ships with its test file")
			var head struct {
				Policy string `yaml:"policy"`
				Cases  []struct {
					Action string `yaml:"action"`
				} `yaml:"cases"`
			}
			require.NoError(t, yaml.Unmarshal(test, &head))
			require.Equal(t, name+".policy.json", filepath.Clean(head.Policy), "the test file names its policy beside it")
			tested := map[string]bool{}
			for _, c := range head.Cases {
				tested[c.Action] = true
			}
			for _, action := range p.ActionNames() {
				require.True(t, tested[action], "%s.test.yaml has no case for the action %s", name, action)
			}
		})
	}
}
