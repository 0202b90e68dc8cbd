package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o options)
		wantErr string
	}{
		{"defaults", nil, func(t *testing.T, o options) {
			assert.Equal(t, 10000, o.Jobs)
			assert.Equal(t, 64, o.Concurrency)
			assert.Equal(t, 10000, o.Waits)
			assert.Equal(t, 500, o.BudgetMB)
		}, ""},
		{"headers", []string{"--header", "Authorization: Bearer x", "--header", "X-A:1"}, func(t *testing.T, o options) {
			assert.Equal(t, headerFlags{"Authorization": "Bearer x", "X-A": "1"}, o.headers)
		}, ""},
		{"bad header", []string{"--header", "nocolon"}, nil, "want \"Name: value\""},
		{"two modes", []string{"--wait-machine", "--cold-start"}, nil, "separate runs"},
		{"stray argument", []string{"x"}, nil, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			o, err := parseFlags(tc.args, &stderr)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error()+stderr.String(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, o)
		})
	}
}

// TestSpawnedRuns runs the command as `make load` does, at a small size,
// against a runtime it starts itself.
func TestSpawnedRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the runtime")
	}
	bin := filepath.Join(t.TempDir(), "stepjobs-local")
	build := exec.Command("go", "build", "-o", bin, "./cmd/stepjobs-local")
	build.Dir = "../.."
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"jobs", []string{"--jobs", "60", "--concurrency", "8"}, []string{
			`final status       SUCCEEDED=60`, `job table          SUCCEEDED=60`,
			`unfinished=0 missing-record=0 record-mismatch=0 lost=0`, `runtime memory     peak \d+\.\d MB`}},
		{"wait machine", []string{"--wait-machine", "--waits", "300", "--concurrency", "8"}, []string{
			`listed RUNNING     300`, `budget             RSS \d+\.\d MB within 500 MB`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--dir", "../..", "--binary", bin}, tc.args...)
			require.NoError(t, run(context.Background(), args, &stdout, &stderr), stderr.String())
			for _, w := range tc.want {
				assert.Regexp(t, regexp.MustCompile(w), stdout.String())
			}
		})
	}
}

func TestColdStartTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the functions")
	}
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--dir", "../..", "--cold-start", "--cold-runs", "1"}, &stdout, &stderr), stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	names := []string{"hello (baseline)", "tracking", "batch-simulation", "status-update", "job-result", "authorizer", "notifier"}
	require.Len(t, lines, 3+len(names), stdout.String())
	assert.Regexp(t, `^machine +load average .*, \d+ CPUs, go`, lines[0], "what the figures were measured on")
	for i, name := range names {
		assert.Contains(t, lines[i+3], name)
		assert.Regexp(t, `\d+\.\d\dx`, lines[i+3])
	}
	assert.Contains(t, lines[3], "1.00x", "hello is its own baseline")
}
