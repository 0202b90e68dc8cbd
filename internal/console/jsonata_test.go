package console

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExecutionPageJSONata shows a JSONata execution: each state's panel
// lists its JSONata fields as written, reached or not, and the history
// carries what they evaluated to.
func TestExecutionPageJSONata(t *testing.T) {
	le := newLocalEngineWith(t, "../../test/testdata/jobs.jsonata.asl.json")
	srv := consoleServer(t, le)
	arn := le.run(t, "job-jsonata", `{"records": 5, "simulateFailure": "permanent"}`)
	code, body := get(t, srv.URL+"/console/execution?arn="+url.QueryEscape(arn))
	require.Equal(t, http.StatusOK, code, body)
	for _, s := range []string{
		`<details class="jsonata" open><summary>JSONata</summary>`,
		`<dt>Arguments</dt>`,
		`<dt>Choices[0].Condition</dt>`,
		`<dt>Catch[0].Assign</dt>`,
	} {
		assert.True(t, strings.Contains(body, s), "the page shows %s", s)
	}
	for _, s := range []string{
		`"{% $states.context.Execution.Name %}"`,
		`"{% $states.input.status = 'SUCCEEDED' %}"`,
		`"failure": "{% $states.errorOutput %}"`,
		// What the expressions evaluated to: Track's task input, with
		// the execution name in jobId.
		`"jobId": "job-jsonata"`,
	} {
		assert.True(t, strings.Contains(body, html.EscapeString(s)), "the page shows %s", s)
	}
	assert.Equal(t, "state st-failed", stateClass(t, body, "JobFailed"))
	assert.Equal(t, "state st-not-reached", stateClass(t, body, "RecordSuccess"))
}
