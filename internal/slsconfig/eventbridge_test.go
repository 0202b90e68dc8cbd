package slsconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An eventBridge event's failure handling comes from the target function's
// asynchronous invocation settings and the event's deadLetterQueueArn.
func TestEventRuleFailureHandling(t *testing.T) {
	lookup := MapLookup{Attrs: map[string]string{"Q.Arn": "arn:aws:sqs:r:1:q", "T.Arn": "arn:aws:sns:r:1:t"}}
	const event = "    events:\n      - eventBridge:\n          pattern: {source: [x]}\n"
	tests := map[string]struct {
		fn        string // the function's settings besides handler and events
		extra     string // more keys of the eventBridge event
		want      EventRule
		wantError string // the path a *ResolveError names
	}{
		"Lambda's defaults":    {want: EventRule{RetryAttempts: 2}},
		"maximumRetryAttempts": {fn: "    maximumRetryAttempts: 0\n", want: EventRule{RetryAttempts: 0}},
		"destinations.onFailure {type, arn}": {
			fn:   "    destinations:\n      onFailure: {type: sqs, arn: {Fn::GetAtt: [Q, Arn]}}\n",
			want: EventRule{RetryAttempts: 2, OnFailure: "arn:aws:sqs:r:1:q"},
		},
		"destinations.onFailure as an ARN": {
			fn:   "    destinations:\n      onFailure: arn:aws:sqs:r:1:other\n",
			want: EventRule{RetryAttempts: 2, OnFailure: "arn:aws:sqs:r:1:other"},
		},
		"onError": {fn: "    onError: {Fn::GetAtt: [T, Arn]}\n", want: EventRule{RetryAttempts: 2, OnFailure: "arn:aws:sns:r:1:t"}},
		"the target's dead-letter queue": {
			extra: "          deadLetterQueueArn: {Fn::GetAtt: [Q, Arn]}\n",
			want:  EventRule{RetryAttempts: 2, DeadLetterQueue: "arn:aws:sqs:r:1:q"},
		},
		"too many retries":       {fn: "    maximumRetryAttempts: 3\n", wantError: "functions.f.maximumRetryAttempts"},
		"retries not a number":   {fn: "    maximumRetryAttempts: two\n", wantError: "functions.f.maximumRetryAttempts"},
		"an unknown destination": {fn: "    destinations:\n      onFailure: {type: sqs, arn: {Fn::GetAtt: [Nope, Arn]}}\n", wantError: "functions.f.destinations.onFailure"},
		"an unknown queue":       {extra: "          deadLetterQueueArn: {Fn::GetAtt: [Nope, Arn]}\n", wantError: "functions.f.events.0.eventBridge.deadLetterQueueArn"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := "service: s\nfunctions:\n  f:\n    handler: x\n" + tc.fn + event + tc.extra
			svc, err := Parse([]byte(doc), Options{Dir: ".", Env: noEnv})
			require.NoError(t, err)
			rules, err := svc.EventRules(lookup)
			if tc.wantError != "" {
				var re *ResolveError
				require.ErrorAs(t, err, &re)
				assert.Contains(t, re.Path, tc.wantError)
				return
			}
			require.NoError(t, err)
			require.Len(t, rules, 1)
			got := rules[0]
			assert.Equal(t, tc.want.RetryAttempts, got.RetryAttempts)
			assert.Equal(t, tc.want.OnFailure, got.OnFailure)
			assert.Equal(t, tc.want.DeadLetterQueue, got.DeadLetterQueue)
		})
	}
}
