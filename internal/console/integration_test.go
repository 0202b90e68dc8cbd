package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/integration"
	localsfn "github.com/asyncjobs/stepjobs/internal/sfn"
)

// A service integration's state panel shows the integration, the request
// it sent and the response it got.
func TestExecutionPageServiceCall(t *testing.T) {
	le := newLocalEngineWith(t, "testdata/integration.asl.json", func(reg *localsfn.Registry) {
		reg.RegisterResource("arn:aws:states:::sqs:sendMessage", localsfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) {
			return []byte(`{"MessageId":"m-1","MD5OfMessageBody":"5d41402abc4b2a76b9719d911017c592"}`), nil
		}))
	})
	srv := consoleServer(t, le)
	arn := le.run(t, "notify", `{"message":"hello"}`)
	code, body := get(t, srv.URL+"/console/execution?state=Notify&arn="+url.QueryEscape(arn))
	require.Equal(t, http.StatusOK, code, body)
	for _, s := range []string{
		`Service call <code class="state-resource">sqs:sendMessage</code>`,
		`<summary>Request</summary><pre class="json state-request">`,
		html.EscapeString(`"MessageBody": "hello"`),
		`<summary>Response</summary><pre class="json state-response">`,
		html.EscapeString(`"MessageId": "m-1"`),
	} {
		assert.True(t, strings.Contains(body, s), "the page shows %s", s)
	}
}

// A parent's Step Functions task links to the child it started, and the
// child's page links back to the parent its input names.
func TestExecutionPageChildLinks(t *testing.T) {
	late := &integration.LateEngine{}
	le := newLocalEngineWith(t, "testdata/parent.asl.json", func(reg *localsfn.Registry) {
		integration.Register(reg, integration.Config{StepFunctions: late})
	})
	late.Set(le.eng)
	child, err := le.eng.CreateStateMachine(t.Context(), localsfn.CreateStateMachineInput{Name: "child", RoleARN: "arn:aws:iam::123456789012:role/local",
		Definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`})
	require.NoError(t, err)
	srv := consoleServer(t, le)
	parent := le.run(t, "parent", `{"child":"`+child.ARN+`"}`)
	runs, err := le.eng.ListExecutions(t.Context(), child.ARN, "")
	require.NoError(t, err)
	require.Len(t, runs, 1)
	childARN := runs[0].ExecutionARN

	_, body := get(t, srv.URL+"/console/execution?state=RunChild&arn="+url.QueryEscape(parent))
	assert.Contains(t, body, `<a class="child-link" href="execution?arn=`+url.QueryEscape(childARN)+`">`+childARN+`</a>`)
	_, body = get(t, srv.URL+"/console/execution?arn="+url.QueryEscape(childARN))
	assert.Contains(t, body, `<a id="parent-link" href="execution?arn=`+url.QueryEscape(parent)+`">`+parent+`</a>`)
}
