package sfn

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJobsJSONataMatchesJSONPath runs the project's machine and its JSONata
// twin (a test fixture) through every path the handlers can take: the same
// status, output, error, cause and state sequence, with the JSONata
// machine's Task events carrying what its Arguments evaluated to.
func TestJobsJSONataMatchesJSONPath(t *testing.T) {
	jsonataDef, err := os.ReadFile(jobsJSONataDefinition)
	require.NoError(t, err)
	for _, fail := range []string{"", "transient", "permanent", "panic"} {
		t.Run("fail="+fail, func(t *testing.T) {
			e1, c1, _ := newJobsEngine(fail)
			want, wantH := runEngine(t, e1, c1, jobsDefinition(t), `{"records":10}`)
			e2, c2, _ := newJobsEngine(fail)
			got, gotH := runEngine(t, e2, c2, string(jsonataDef), `{"records":10}`)
			wd, gd := want.describe(), got.describe()
			require.Equal(t, wd.Status, gd.Status, "error %v cause %v", deref(gd.Error), deref(gd.Cause))
			if wd.Output != nil {
				require.NotNil(t, gd.Output)
				assert.JSONEq(t, *wd.Output, *gd.Output)
			}
			assert.Equal(t, deref(wd.Error), deref(gd.Error))
			assert.Equal(t, deref(wd.Cause), deref(gd.Cause))
			assert.Equal(t, eventTypes(wantH), eventTypes(gotH))
			for i := range wantH {
				if w := wantH[i].LambdaFunctionScheduledEventDetails; w != nil {
					g := gotH[i].LambdaFunctionScheduledEventDetails
					require.NotNil(t, g)
					assert.JSONEq(t, *w.Input, *g.Input, "event %d: the task input", i+1)
				}
			}
		})
	}
}

// TestJSONataStateFields covers the JSONata fields of every state type that
// the AWS corpus exercises little: Task Arguments and Output, Catch Output
// and Assign, TimeoutSeconds as an expression, Parallel, Map ItemSelector.
func TestJSONataStateFields(t *testing.T) {
	tests := []struct {
		name, def, input string
		status, output   string
		cause            string
	}{
		{
			name:  "task arguments, output and assign",
			def:   `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","Arguments":{"n":"{% $states.input.n * 2 %}"},"Assign":{"seen":"{% $states.result.n %}"},"Output":{"doubled":"{% $states.result.n %}","input":"{% $states.input %}"},"Next":"P"},"P":{"Type":"Pass","Output":"{% $seen + 1 %}","End":true}}}`,
			input: `{"n":21}`, status: StatusSucceeded, output: `43`,
		},
		{
			name:  "catch output and assign see the error output",
			def:   `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:fail","Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err":"{% $states.errorOutput.Error %}"},"Output":{"caught":"{% $states.errorOutput.Error %}","was":"{% $states.input %}"},"Next":"P"}],"End":true},"P":{"Type":"Pass","Output":{"in":"{% $states.input %}","err":"{% $err %}"},"End":true}}}`,
			input: `{"a":1}`, status: StatusSucceeded, output: `{"in":{"caught":"SimulatedFailure","was":{"a":1}},"err":"SimulatedFailure"}`,
		},
		{
			name:  "catch without output passes the error output on",
			def:   `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:fail","Catch":[{"ErrorEquals":["States.ALL"],"Next":"P"}],"End":true},"P":{"Type":"Pass","Output":"{% $states.input.Error %}","End":true}}}`,
			input: `{}`, status: StatusSucceeded, output: `"SimulatedFailure"`,
		},
		{
			name:  "an evaluation error is caught",
			def:   `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","Arguments":"{% $states.input.missing %}","Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Output":"{% $states.errorOutput.Error %}","Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`,
			input: `{}`, status: StatusSucceeded, output: `"States.QueryEvaluationError"`,
		},
		{
			name:  "timeout seconds from an expression",
			def:   `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","TimeoutSeconds":"{% $states.input.t %}","End":true}}}`,
			input: `{"t":0}`, status: StatusFailed,
			cause: "An error occurred while executing the state 'T' (entered at the event id #2). The TimeoutSeconds field must be at least 1, but was: 0",
		},
		{
			name:  "parallel arguments and output",
			def:   `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel","Arguments":{"x":"{% $states.input.x %}"},"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.x + 1 %}","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","Output":"{% $states.input.x * 10 %}","End":true}}}],"Output":"{% $sum($states.result) %}","End":true}}}`,
			input: `{"x":2,"y":"ignored"}`, status: StatusSucceeded, output: `23`,
		},
		{
			name:  "map item selector sees the item and its index",
			def:   `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value %}","i":"{% $states.context.Map.Item.Index %}","k":"{% $states.input.k %}"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.v * $states.input.k + $states.input.i %}","End":true}}},"End":true}}}`,
			input: `{"xs":[1,2,3],"k":10}`, status: StatusSucceeded, output: `[10,21,32]`,
		},
		{
			name:  "wait seconds and fail from expressions",
			def:   `{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Next":"F"},"F":{"Type":"Fail","Error":"{% 'E' & $states.input.s %}","Cause":"{% $string($states.input) %}"}}}`,
			input: `{"s":5}`, status: StatusFailed, cause: `{"s":5}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock, _ := newJobsEngine("")
			registerEchoAndFail(e)
			ex, _ := runEngine(t, e, clock, tt.def, tt.input)
			d := ex.describe()
			require.Equal(t, tt.status, d.Status, "error %v cause %v", deref(d.Error), deref(d.Cause))
			if tt.output != "" {
				assert.JSONEq(t, tt.output, deref(d.Output))
			}
			if tt.cause != "" {
				assert.Equal(t, tt.cause, deref(d.Cause))
			}
		})
	}
}

// registerEchoAndFail adds two functions: echo returns its payload, fail
// fails with SimulatedFailure.
func registerEchoAndFail(e *Engine) {
	reg := e.cfg.Invokers
	reg.RegisterFunction("echo", InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) { return p, nil }))
	reg.RegisterFunction("fail", InvokerFunc(func(context.Context, []byte) ([]byte, error) { return nil, SimulatedFailure{} }))
}
