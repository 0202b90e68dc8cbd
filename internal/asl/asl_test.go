package asl

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// testEnv is the context object and variables the golden path and template cases see.
func testEnv() *Env {
	return &Env{
		Context: map[string]any{"Execution": map[string]any{"Name": "exec-1"}},
		Vars:    map[string]any{"v": map[string]any{"items": []any{"first", "second"}}},
	}
}

type goldenCase struct {
	Name       string          `json:"name"`
	Path       string          `json:"path"`
	Template   json.RawMessage `json:"template"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Want       json.RawMessage `json:"want"`
	Err        string          `json:"err"`
}

func loadGolden(t *testing.T, name string) []goldenCase {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	var cases []goldenCase
	require.NoError(t, json.Unmarshal(b, &cases))
	return cases
}

func decode(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	v, err := DecodeJSON(raw)
	require.NoError(t, err)
	return v
}

func TestPathGolden(t *testing.T) {
	for _, c := range loadGolden(t, "paths.json") {
		t.Run(c.Name, func(t *testing.T) {
			p, err := ParsePath(c.Path)
			require.NoError(t, err)
			got, err := p.Get(decode(t, c.Input), testEnv())
			if c.Err != "" {
				require.EqualError(t, err, c.Err)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, string(c.Want), jsonText(got))
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, bad := range []string{"", "a.b", "$.", "$[", "$['a'", "$[1:2:0]", "$[?(@.a >)]", "$..", "$[x]"} {
		_, err := ParsePath(bad)
		assert.Error(t, err, bad)
	}
}

func TestTemplateGolden(t *testing.T) {
	for _, c := range loadGolden(t, "templates.json") {
		t.Run(c.Name, func(t *testing.T) {
			tmpl, err := CompileTemplate(decode(t, c.Template))
			require.NoError(t, err)
			got, err := tmpl.Evaluate(decode(t, c.Input), testEnv())
			if c.Err != "" {
				require.EqualError(t, err, c.Err)
				var ae *Error
				assert.ErrorAs(t, err, &ae)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, string(c.Want), jsonText(got))
		})
	}
}

func TestDefinitionsGolden(t *testing.T) {
	for _, c := range loadGolden(t, "definitions.json") {
		t.Run(c.Name, func(t *testing.T) {
			def := []byte(c.Definition)
			var s string
			if json.Unmarshal(c.Definition, &s) == nil {
				def = []byte(s) // a definition given as raw text
			}
			_, err := Parse(def)
			if c.Err == "" {
				require.NoError(t, err)
				return
			}
			var de *DefinitionError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, c.Err, err.Error())
		})
	}
}

func TestApplyResultPath(t *testing.T) {
	tests := map[string]struct {
		path, input, result, want string
		null                      bool
		err                       string
	}{
		"default replaces":      {path: "$", input: `{"a":1}`, result: `2`, want: `2`},
		"null discards":         {null: true, input: `{"a":1}`, result: `2`, want: `{"a":1}`},
		"creates intermediates": {path: "$.x.y", input: `{"a":1}`, result: `2`, want: `{"a":1,"x":{"y":2}}`},
		"overwrites field":      {path: "$.a", input: `{"a":1}`, result: `{"b":2}`, want: `{"a":{"b":2}}`},
		"into array element":    {path: "$.a[1].b", input: `{"a":[{},{}]}`, result: `3`, want: `{"a":[{},{"b":3}]}`},
		"scalar in the way":     {path: "$.a.b", input: `{"a":"s"}`, result: `1`, err: `States.ResultPathMatchFailure: Unable to apply ReferencePath $.a.b to input "{\"a\":\"s\"}"`},
		"input not an object":   {path: "$.a", input: `[1]`, result: `1`, err: `States.ResultPathMatchFailure: Unable to apply ReferencePath $.a to input "[1]"`},
		"index out of range":    {path: "$.a[3]", input: `{"a":[]}`, result: `1`, err: `States.ResultPathMatchFailure: Unable to apply ReferencePath $.a[3] to input "{\"a\":[]}"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var p *Path
			if tc.path != "" {
				p = MustParsePath(tc.path)
			}
			in := decode(t, json.RawMessage(tc.input))
			before := jsonText(in)
			got, err := ApplyResultPath(p, tc.null, in, decode(t, json.RawMessage(tc.result)))
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, jsonText(got))
			assert.Equal(t, before, jsonText(in), "input must not be mutated")
		})
	}
}

func TestErrorMatches(t *testing.T) {
	tests := []struct {
		equals []string
		name   string
		want   bool
	}{
		{[]string{"States.ALL"}, "Anything", true},
		{[]string{"States.ALL"}, ErrTimeout, true},
		{[]string{"States.ALL"}, ErrRuntime, false},
		{[]string{"States.TaskFailed"}, "Lambda.Unknown", true},
		{[]string{"States.TaskFailed"}, ErrTimeout, false},
		{[]string{"States.TaskFailed"}, ErrHeartbeatTimeout, true},
		{[]string{"States.ALL"}, ErrDataLimitExceeded, false},
		{[]string{"TransientError"}, "TransientError", true},
		{[]string{"TransientError"}, "SimulatedFailure", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ErrorMatches(tc.equals, tc.name), "%v %s", tc.equals, tc.name)
	}
}

func TestRetrierDelay(t *testing.T) {
	r := &Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 5, JitterStrategy: "NONE"}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		assert.Equal(t, w, r.Delay(i, nil), "attempt %d", i)
	}
	assert.True(t, r.CanRetry(2))
	assert.False(t, r.CanRetry(3))
	r.JitterStrategy = "FULL"
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		d := r.Delay(2, rnd)
		assert.True(t, d >= 0 && d <= 4*time.Second, "jittered delay %v out of range", d)
	}
}

func TestStringMatches(t *testing.T) {
	tests := []struct {
		s, pattern string
		want       bool
	}{
		{"log-2024.txt", "log-*.txt", true},
		{"log.txt", "log-*.txt", false},
		{"a*b", `a\*b`, true},
		{"axb", `a\*b`, false},
		{`a\b`, `a\\b`, true},
		{"", "*", true},
		{"abc", "*b*", true},
		{"abc", "a*c*", true},
		{"aXbXc", "a*b*c", true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, stringMatches(tc.s, tc.pattern), "%q ~ %q", tc.s, tc.pattern)
	}
}

func TestWaitUntil(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sm, err := Parse([]byte(`{"StartAt":"W","States":{
		"W":{"Type":"Wait","SecondsPath":"$.s","Next":"T"},
		"T":{"Type":"Wait","TimestampPath":"$.t","Next":"F"},
		"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('code {}', $.c)"}}}`))
	require.NoError(t, err)
	in := decode(t, json.RawMessage(`{"s":30,"t":"2026-02-01T00:00:00+01:00","e":"Boom","c":7}`))
	until, err := sm.States["W"].Until(in, nil, now)
	require.NoError(t, err)
	assert.Equal(t, now.Add(30*time.Second), until)
	until, err = sm.States["T"].Until(in, nil, now)
	require.NoError(t, err)
	assert.True(t, until.Equal(time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC)))
	name, cause, err := sm.States["F"].ErrorAndCause(in, nil)
	require.NoError(t, err)
	assert.Equal(t, "Boom", name)
	assert.Equal(t, "code 7", cause)
	_, err = sm.States["W"].Until(decode(t, json.RawMessage(`{"s":-1}`)), nil, now)
	assert.EqualError(t, err, "States.Runtime: The SecondsPath parameter references a negative value: $.s == -1")
}

func TestChoiceNoMatch(t *testing.T) {
	sm, err := Parse([]byte(`{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.n","NumericGreaterThan":1},{"Not":{"Variable":"$.s","StringEquals":"x"}}],"Next":"D"}]},
		"D":{"Type":"Succeed"}}}`))
	require.NoError(t, err)
	next, _, err := sm.States["C"].NextState(decode(t, json.RawMessage(`{"n":2,"s":"y"}`)), nil)
	require.NoError(t, err)
	assert.Equal(t, "D", next)
	_, _, err = sm.States["C"].NextState(decode(t, json.RawMessage(`{"n":2,"s":"x"}`)), nil)
	var ae *Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, ErrNoChoiceMatched, ae.Name)
	_, _, err = sm.States["C"].NextState(decode(t, json.RawMessage(`{"s":"x"}`)), nil)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, ErrRuntime, ae.Name)
}

func TestCheckSize(t *testing.T) {
	small := map[string]any{"a": "b"}
	require.NoError(t, CheckSize(small, "x"))
	big := make([]byte, MaxPayloadBytes)
	for i := range big {
		big[i] = 'a'
	}
	err := CheckSize(string(big), "The state/task 'S' returned a result")
	assert.EqualError(t, err, "States.DataLimitExceeded: The state/task 'S' returned a result with a size exceeding the maximum number of bytes service limit.")
}

// TestProjectDefinition parses the project's own state machine and walks it
// with fake task handlers: the happy path succeeds with the last task's
// result; a retryable error is retried; a permanent failure ends in a Fail
// state carrying the task's error and cause (the cross-package contract).
func TestProjectDefinition(t *testing.T) {
	b, err := os.ReadFile("../../statemachine/jobs.asl.json")
	if os.IsNotExist(err) {
		t.Skip("statemachine/jobs.asl.json absent")
	}
	require.NoError(t, err)
	sm, err := Parse(b)
	require.NoError(t, err)
	assert.Equal(t, "Track", sm.StartAt)
	assert.Equal(t, 900, sm.TimeoutSeconds)
	track := sm.States["Track"]
	require.NotNil(t, track)
	assert.JSONEq(t, `{"Fn::GetAtt":["tracking","Arn"]}`, string(track.Resource))
	assert.NotNil(t, track.MatchRetrier("TransientError"))
	assert.NotNil(t, track.MatchRetrier("Lambda.ServiceException"))
	assert.Nil(t, track.MatchRetrier("SimulatedFailure"))
	require.NotNil(t, track.MatchCatcher("SimulatedFailure"))

	input := decode(t, json.RawMessage(`{"records":10}`))
	handlers := func(failWith *Error, failTimes int) func(st *State, in any, attempt int) (any, *Error) {
		return func(st *State, in any, attempt int) (any, *Error) {
			var res struct {
				GetAtt []string `json:"Fn::GetAtt"`
			}
			require.NoError(t, json.Unmarshal(st.Resource, &res))
			require.NotEmpty(t, res.GetAtt, "resource %s", st.Resource)
			name := res.GetAtt[0]
			m, _ := jsonvalue.ToPlain(in).(map[string]any)
			require.Equal(t, "<ExecArnPart_0idx>", m["jobId"], "every task gets the execution name as jobId")
			switch name {
			case "tracking":
				return map[string]any{"jobId": m["jobId"], "status": "RUNNING"}, nil
			case "batchSimulation":
				if failWith != nil && attempt < failTimes {
					return nil, failWith
				}
				return map[string]any{"bucket": "b", "key": "results/x.json"}, nil
			case "statusUpdate":
				return map[string]any{"jobId": m["jobId"], "status": m["status"], "result": m["result"]}, nil
			}
			return nil, &Error{Name: "Unknown", Cause: name}
		}
	}

	w := newWalker(input)
	w.task = handlers(nil, 0)
	r := w.run(sm, input, nil, nil)
	require.Nil(t, r.err)
	assert.JSONEq(t, `{"jobId":"<ExecArnPart_0idx>","status":"SUCCEEDED","result":{"bucket":"b","key":"results/x.json"}}`, jsonText(r.output))

	w = newWalker(input)
	w.task = handlers(&Error{Name: "TransientError", Cause: "once"}, 1)
	r = w.run(sm, input, nil, nil)
	require.Nil(t, r.err, "a TransientError is retried")

	w = newWalker(input)
	w.task = handlers(&Error{Name: "SimulatedFailure", Cause: `{"errorMessage":"boom","errorType":"SimulatedFailure"}`}, 100)
	r = w.run(sm, input, nil, nil)
	require.NotNil(t, r.err)
	assert.Equal(t, "SimulatedFailure", r.err.Name)
	assert.Equal(t, `{"errorMessage":"boom","errorType":"SimulatedFailure"}`, r.err.Cause)
}
