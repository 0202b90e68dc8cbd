package apigw

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request and response templates of a request read one $context (the
// gateway converts it once for both), but what the request template sets
// there, the response template does not see, and a gateway response sees
// $context.error.
func TestVTLTemplatesContext(t *testing.T) {
	tests := []struct {
		name       string
		request    string
		response   string
		wantStatus int
		wantBody   string
	}{
		{
			name:     "both read the request's context",
			request:  `$context.resourcePath $context.requestId`,
			response: `$context.resourcePath $context.requestId $context.identity.sourceIp`,
			// 192.0.2.1 is httptest.NewRequest's client address.
			wantStatus: http.StatusOK, wantBody: `/x req-1 192.0.2.1`,
		},
		{
			name:     "the request template's changes stay its own",
			request:  `#set($context.mine = "req")#set($context.responseOverride.status = 201)#set($d = $context.identity.put("sourceIp", "x"))$context.mine`,
			response: `[$!context.mine][$!context.responseOverride.status][$context.identity.sourceIp]`,
			// An AWS integration's request template cannot override the status.
			wantStatus: http.StatusOK, wantBody: `[][][192.0.2.1]`,
		},
		{
			name:       "a failed response template is a gateway response with $context.error",
			request:    `$context.resourcePath`,
			response:   `#include("x")`,
			wantStatus: http.StatusInternalServerError, wantBody: `API_CONFIGURATION_ERROR /x`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sent string
			integ := IntegrationFunc(func(_ context.Context, _ string, body []byte) (int, []byte, error) {
				sent = string(body)
				return http.StatusOK, []byte(`{}`), nil
			})
			route := testRoute("POST", "/x", func(r *Route) {
				r.RequestTemplates = map[string]string{"application/json": tc.request}
				r.Responses = []IntegrationResponse{{StatusCode: 200, ResponseTemplates: map[string]string{"application/json": tc.response}}}
			})
			g, err := New(Config{
				Stage: "dev", Routes: []Route{route}, Integration: integ, Logger: quietLogger(),
				GatewayResponses: map[string]GatewayResponse{"DEFAULT_5XX": {ResponseTemplates: map[string]string{
					"application/json": `$context.error.responseType $context.resourcePath`,
				}}},
				NewRequestID: func() string { return "req-1" },
				Now:          func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
			})
			require.NoError(t, err)
			rec := do(g, "POST", "/dev/x", "application/json", `{}`)
			assert.Equal(t, tc.wantStatus, rec.Code)
			assert.Equal(t, tc.wantBody, rec.Body.String())
			assert.NotEmpty(t, sent)
		})
	}
}
