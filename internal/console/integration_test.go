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
