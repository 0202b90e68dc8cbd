// Package pipeline_test checks the deploy pipeline file,
// .github/workflows/deploy.yml, which cannot run here: it must be valid
// YAML with the structure GitHub Actions expects, call only Makefile
// targets that exist, and ask for an OIDC token (id-token: write) exactly
// where AWS credentials are assumed.
package pipeline_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

var root = filepath.Join("..", "..")

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type jobSpec struct {
	Name        string            `yaml:"name"`
	Timeout     int               `yaml:"timeout-minutes"`
	Env         map[string]string `yaml:"env"`
	Needs       any               `yaml:"needs"`
	If          string            `yaml:"if"`
	RunsOn      string            `yaml:"runs-on"`
	Permissions map[string]string `yaml:"permissions"`
	Environment any               `yaml:"environment"`
	Steps       []step            `yaml:"steps"`
}

type workflow struct {
	Name        string             `yaml:"name"`
	On          map[string]any     `yaml:"on"`
	Permissions map[string]string  `yaml:"permissions"`
	Concurrency map[string]string  `yaml:"concurrency"`
	Env         map[string]string  `yaml:"env"`
	Jobs        map[string]jobSpec `yaml:"jobs"`
}

func loadWorkflow(t *testing.T) workflow {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "deploy.yml"))
	require.NoError(t, err)
	var w workflow
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true) // a misspelt key (runs_on, step) fails here, not silently on GitHub
	require.NoError(t, dec.Decode(&w))
	return w
}

// makeTargets parses the Makefile's explicit targets (rules, not variable
// assignments; pattern rules are not callable by name and are left out).
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	defer f.Close()
	rule := regexp.MustCompile(`^([A-Za-z0-9_.\-][A-Za-z0-9_.\- ]*):([^=]|$)`)
	targets := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := rule.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		for _, name := range strings.Fields(m[1]) {
			if !strings.HasPrefix(name, ".") {
				targets[name] = true
			}
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, targets)
	return targets
}

// makeCalls returns the targets a run script passes to make.
func makeCalls(script string) []string {
	var out []string
	for _, line := range strings.Split(script, "\n") {
		fields := strings.Fields(line)
		for i, f := range fields {
			if f != "make" {
				continue
			}
			for _, arg := range fields[i+1:] {
				if arg == "&&" || arg == "||" || arg == ";" || arg == "|" {
					break
				}
				if strings.HasPrefix(arg, "-") || strings.Contains(arg, "=") {
					continue // flags and VAR=value
				}
				out = append(out, arg)
			}
		}
	}
	return out
}

func TestMakeCalls(t *testing.T) {
	assert.Equal(t, []string{"deploy"}, makeCalls(`make deploy STAGE="$STAGE" REGION="$REGION"`))
	assert.Equal(t, []string{"lint", "test"}, makeCalls("make -j1 lint test && echo make-done"))
	assert.Empty(t, makeCalls("go test ./..."))
}

func TestMakefileTargetsParsed(t *testing.T) {
	targets := makeTargets(t)
	for _, want := range []string{"build", "package", "deploy", "test", "lint"} {
		assert.True(t, targets[want], "the Makefile's %s target", want)
	}
	assert.False(t, targets["SHELL"], "assignments are not targets")
	assert.False(t, targets["GOTEST_FLAGS"], "assignments are not targets")
}

func TestWorkflow(t *testing.T) {
	w := loadWorkflow(t)
	targets := makeTargets(t)
	require.NotEmpty(t, w.Jobs)
	assert.Contains(t, w.On, "pull_request")
	assert.Contains(t, w.On, "push")
	assert.Equal(t, map[string]string{"contents": "read"}, w.Permissions, "least privilege at the top")

	var called []string
	for name, j := range w.Jobs {
		require.NotEmpty(t, j.RunsOn, name)
		assert.Positive(t, j.Timeout, "%s: a timeout, so a hung deploy does not bill for 6 hours", name)
		require.NotEmpty(t, j.Steps, name)
		assumesRole := false
		for i, s := range j.Steps {
			assert.True(t, (s.Uses == "") != (s.Run == ""), "%s step %d: exactly one of uses and run", name, i)
			if s.Uses != "" {
				assert.Regexp(t, `^[\w.-]+/[\w./-]+@[\w.-]+$`, s.Uses, "%s step %d: actions are pinned", name, i)
			}
			if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
				assumesRole = true
				assert.NotEmpty(t, s.With["role-to-assume"], "%s: OIDC, a role, no access keys", name)
				assert.NotContains(t, s.With, "aws-access-key-id", "%s: no long-lived keys", name)
			}
			for _, target := range makeCalls(s.Run) {
				assert.True(t, targets[target], "%s step %d calls make %s, which the Makefile lacks", name, i, target)
				called = append(called, target)
			}
		}
		if assumesRole {
			assert.Equal(t, "write", j.Permissions["id-token"], "%s assumes a role with OIDC: it needs id-token: write", name)
			assert.Contains(t, j.If, "refs/heads/main", "%s deploys from main only", name)
		} else {
			assert.NotContains(t, j.Permissions, "id-token", "%s needs no OIDC token", name)
		}
	}
	for _, want := range []string{"lint", "test", "package", "deploy"} {
		assert.True(t, slices.Contains(called, want), "the pipeline runs make %s", want)
	}

	deploy, ok := w.Jobs["deploy"]
	require.True(t, ok)
	assert.Equal(t, "check", deploy.Needs, "deploy only after lint, test and package passed")
	var e2e *step
	for i := range deploy.Steps {
		if strings.Contains(deploy.Steps[i].Run, "go test") {
			e2e = &deploy.Steps[i]
		}
	}
	require.NotNil(t, e2e, "the deploy job runs the end-to-end suite against the stage")
	assert.NotEmpty(t, e2e.Env["ASYNC_API_URL"])
	assert.Contains(t, e2e.Env["ASYNC_API_TOKEN"], "secrets.", "the token comes from a secret")
}

// TestDeployRoleTrust checks the OIDC guidance against the job that uses it: a job that runs
// in a GitHub environment gets a token whose subject is repo:OWNER/REPO:environment:NAME, so
// the trust policy in docs/deploy.md and the workflow's own comment must name that subject; a
// role that trusts the branch (ref:refs/heads/main) refuses the token.
func TestDeployRoleTrust(t *testing.T) {
	w := loadWorkflow(t)
	deploy, ok := w.Jobs["deploy"]
	require.True(t, ok)
	env, ok := deploy.Environment.(string)
	require.True(t, ok, "the deploy job names its environment: %v", deploy.Environment)
	require.NotEmpty(t, env)
	subject := "repo:OWNER/REPO:environment:" + env

	raw, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "deploy.yml"))
	require.NoError(t, err)
	var comment strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "#") {
			comment.WriteString(line + "\n")
		}
	}
	assert.Contains(t, comment.String(), subject, "the workflow's comment names the subject to trust")

	doc, err := os.ReadFile(filepath.Join(root, "docs", "deploy.md"))
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```json\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, block, "docs/deploy.md holds the trust policy as a json block")
	var policy struct {
		Statement []struct {
			Effect    string
			Action    string
			Principal struct{ Federated string }
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal(block[1], &policy))
	require.Len(t, policy.Statement, 1)
	st := policy.Statement[0]
	assert.Equal(t, "Allow", st.Effect)
	assert.Equal(t, "sts:AssumeRoleWithWebIdentity", st.Action)
	assert.True(t, strings.HasSuffix(st.Principal.Federated, ":oidc-provider/token.actions.githubusercontent.com"), st.Principal.Federated)
	eq := st.Condition["StringEquals"]
	assert.Equal(t, subject, eq["token.actions.githubusercontent.com:sub"], "the subject of a job in environment %q", env)
	assert.Equal(t, "sts.amazonaws.com", eq["token.actions.githubusercontent.com:aud"])
	assert.NotContains(t, st.Condition, "StringLike", "no wildcard subject")
}
