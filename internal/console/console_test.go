package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// consoleServer serves the console against the local engine's API.
func consoleServer(t *testing.T, le *localEngine) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/console/", New(Config{
		StepFunctions: le.client, Jobs: le.jobs, JobsTable: "stepjobs-dev-jobs",
		ResultURL: func(bucket, key string) string { return "http://127.0.0.1:8084/" + bucket + "/" + key },
		Now:       le.clock.Now,
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestDump(t *testing.T) {
	dir := os.Getenv("CONSOLE_DUMP")
	if dir == "" {
		t.Skip("set CONSOLE_DUMP=<dir> to write pages")
	}
	le := newLocalEngine(t)
	ok := le.run(t, "job-ok", `{"records": 500, "seed": 42}`)
	bad := le.run(t, "job-failed", `{"records": 5, "simulateFailure": "permanent"}`)
	tr := le.run(t, "job-transient", `{"records": 5, "simulateFailure": "transient"}`)
	srv := consoleServer(t, le)
	for name, u := range map[string]string{
		"index":     "/console/",
		"machine":   "/console/state-machine?arn=" + url.QueryEscape(le.smARN),
		"ok":        "/console/execution?state=Simulate&arn=" + url.QueryEscape(ok),
		"bad":       "/console/execution?state=Simulate&arn=" + url.QueryEscape(bad),
		"transient": "/console/execution?state=Simulate&arn=" + url.QueryEscape(tr),
	} {
		code, body := get(t, srv.URL+u)
		assert.Equal(t, 200, code, body)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".html"), []byte(body), 0o644))
	}
	for _, f := range []string{"console.css", "console.js"} {
		_, body := get(t, srv.URL+"/console/static/"+f)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "static"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "static", f), []byte(body), 0o644))
	}
}
