package vtl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A golden case is one file in testdata/golden, in txtar layout: sections
// start with a line "-- name --" and hold everything up to the next one.
//
//	template.vtl   the template (required)
//	request.json   {"body": "...", "json": <body as JSON>, "headers": {},
//	               "query": {}, "path": {}, "context": {}, "stageVariables": {}}
//	expected.txt   the exact output, or
//	expected.json  the output compared with assert.JSONEq
//	status         expected $context.responseOverride.status
//	headers.json   expected responseOverride headers
type goldenRequest struct {
	Body           *string           `json:"body"`
	JSON           json.RawMessage   `json:"json"`
	Headers        map[string]string `json:"headers"`
	Query          map[string]string `json:"query"`
	Path           map[string]string `json:"path"`
	Context        map[string]any    `json:"context"`
	StageVariables map[string]string `json:"stageVariables"`
}

func parseTxtar(data string) map[string]string {
	files := map[string]string{}
	var name string
	var b strings.Builder
	for _, line := range strings.SplitAfter(data, "\n") {
		trim := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(trim, "-- ") && strings.HasSuffix(trim, " --") && len(trim) > 6 {
			if name != "" {
				files[name] = b.String()
			}
			name = strings.TrimSpace(trim[3 : len(trim)-3])
			b.Reset()
			continue
		}
		if name != "" {
			b.WriteString(line)
		}
	}
	if name != "" {
		files[name] = b.String()
	}
	return files
}

func (g goldenRequest) env() *Env {
	env := &Env{Request: Request{Headers: g.Headers, Query: g.Query, Path: g.Path}, Context: g.Context, StageVariables: g.StageVariables}
	switch {
	case g.Body != nil:
		env.Request.Body = []byte(*g.Body)
	case len(g.JSON) > 0:
		env.Request.Body = g.JSON
	}
	return env
}

func TestGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txtar"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			files := parseTxtar(string(data))
			src, ok := files["template.vtl"]
			require.True(t, ok, "template.vtl section missing")
			var req goldenRequest
			if r, ok := files["request.json"]; ok {
				require.NoError(t, json.Unmarshal([]byte(r), &req))
			}
			tpl, err := Parse(filepath.Base(p), src)
			require.NoError(t, err)
			res, err := tpl.Render(context.Background(), req.env())
			require.NoError(t, err)
			checked := false
			if want, ok := files["expected.txt"]; ok {
				assert.Equal(t, want, res.Body)
				checked = true
			}
			if want, ok := files["expected.json"]; ok {
				assert.JSONEq(t, want, res.Body)
				checked = true
			}
			require.True(t, checked, "no expected.txt or expected.json section")
			if want, ok := files["status"]; ok {
				n, err := strconv.Atoi(strings.TrimSpace(want))
				require.NoError(t, err)
				assert.Equal(t, n, res.Status)
			} else {
				assert.Zero(t, res.Status)
			}
			if want, ok := files["headers.json"]; ok {
				got, err := json.Marshal(res.Headers)
				require.NoError(t, err)
				assert.JSONEq(t, want, string(got))
			} else {
				assert.Empty(t, res.Headers)
			}
		})
	}
}
