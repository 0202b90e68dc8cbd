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
			if resolveFailed(t, err, tc.wantError) {
				return
			}
			require.Len(t, rules, 1)
			got := rules[0]
			assert.Equal(t, tc.want.RetryAttempts, got.RetryAttempts)
			assert.Equal(t, tc.want.OnFailure, got.OnFailure)
			assert.Equal(t, tc.want.DeadLetterQueue, got.DeadLetterQueue)
		})
	}
}

// resolveFailed checks err against wantPath, the path the *ResolveError
// must name ("": no error), and reports whether there was one.
func resolveFailed(t *testing.T, err error, wantPath string) bool {
	t.Helper()
	if wantPath == "" {
		require.NoError(t, err)
		return false
	}
	var re *ResolveError
	require.ErrorAs(t, err, &re)
	assert.Contains(t, re.Path, wantPath)
	return true
}

// An AWS::Events::Rule resource is a rule locally when its targets are SQS
// queues on the default bus, the whole event delivered.
func TestQueueRules(t *testing.T) {
	lookup := MapLookup{Attrs: map[string]string{"Q.Arn": "arn:aws:sqs:r:1:q", "D.Arn": "arn:aws:sqs:r:1:d", "F.Arn": "arn:aws:lambda:r:1:function:f"}}
	tests := map[string]struct {
		props     string // the rule's Properties, a YAML flow map
		want      []EventRule
		wantError string // the path a *ResolveError names
	}{
		"a queue target": {props: "{EventPattern: {source: [x]}, Targets: [{Id: q, Arn: {Fn::GetAtt: [Q, Arn]}, DeadLetterConfig: {Arn: {Fn::GetAtt: [D, Arn]}}}]}",
			want: []EventRule{{Queue: "arn:aws:sqs:r:1:q", DeadLetterQueue: "arn:aws:sqs:r:1:d", Pattern: map[string]any{"source": []any{"x"}}}}},
		"the default bus by name": {props: "{EventBusName: default, EventPattern: {source: [x]}, Targets: [{Id: q, Arn: {Fn::GetAtt: [Q, Arn]}}]}",
			want: []EventRule{{Queue: "arn:aws:sqs:r:1:q", Pattern: map[string]any{"source": []any{"x"}}}}},
		"a function target": {props: "{EventPattern: {source: [x]}, Targets: [{Id: f, Arn: {Fn::GetAtt: [F, Arn]}}]}", wantError: "Targets.0.Arn"},
		"an input transformer": {props: "{EventPattern: {source: [x]}, Targets: [{Id: q, Arn: {Fn::GetAtt: [Q, Arn]}, InputTransformer: {InputTemplate: x}}]}",
			wantError: "Targets.0.InputTransformer"},
		"another bus":   {props: "{EventBusName: other, EventPattern: {source: [x]}, Targets: []}", wantError: "Properties.EventBusName"},
		"no pattern":    {props: "{ScheduleExpression: rate(1 minute), Targets: []}", wantError: "Properties.EventPattern"},
		"unknown queue": {props: "{EventPattern: {source: [x]}, Targets: [{Id: q, Arn: {Fn::GetAtt: [Nope, Arn]}}]}", wantError: "Targets.0.Arn"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := "service: s\nresources:\n  Resources:\n    R:\n      Type: AWS::Events::Rule\n      Properties: " + tc.props + "\n"
			svc, err := Parse([]byte(doc), Options{Dir: ".", Env: noEnv})
			require.NoError(t, err)
			rules, err := svc.EventRules(lookup)
			if resolveFailed(t, err, tc.wantError) {
				return
			}
			assert.Equal(t, tc.want, rules)
		})
	}
}

// A function's sqs event is an event source mapping: the queue's ARN, the
// batch size (10 by default) and whether the function reports batch item
// failures.
func TestQueueSources(t *testing.T) {
	lookup := MapLookup{Attrs: map[string]string{"Q.Arn": "arn:aws:sqs:r:1:q"}}
	tests := map[string]struct {
		event     string // the sqs event's value
		want      QueueSource
		wantError string
	}{
		"an ARN":   {event: "arn:aws:sqs:r:1:other", want: QueueSource{Function: "f", Queue: "arn:aws:sqs:r:1:other", BatchSize: 10}},
		"a GetAtt": {event: "{arn: {Fn::GetAtt: [Q, Arn]}}", want: QueueSource{Function: "f", Queue: "arn:aws:sqs:r:1:q", BatchSize: 10}},
		"batch and reports": {event: "{arn: {Fn::GetAtt: [Q, Arn]}, batchSize: 1, functionResponseType: ReportBatchItemFailures}",
			want: QueueSource{Function: "f", Queue: "arn:aws:sqs:r:1:q", BatchSize: 1, ReportBatchItemFailures: true}},
		"a bad batch size":    {event: "{arn: {Fn::GetAtt: [Q, Arn]}, batchSize: 0}", wantError: "sqs.batchSize"},
		"an unknown response": {event: "{arn: {Fn::GetAtt: [Q, Arn]}, functionResponseType: Everything}", wantError: "sqs.functionResponseType"},
		"an unknown queue":    {event: "{arn: {Fn::GetAtt: [Nope, Arn]}}", wantError: "sqs.arn"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := "service: s\nfunctions:\n  f:\n    handler: x\n    events:\n      - sqs: " + tc.event + "\n"
			svc, err := Parse([]byte(doc), Options{Dir: ".", Env: noEnv})
			require.NoError(t, err)
			got, err := svc.QueueSources(lookup)
			if resolveFailed(t, err, tc.wantError) {
				return
			}
			assert.Equal(t, []QueueSource{tc.want}, got)
		})
	}
}
