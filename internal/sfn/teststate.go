package sfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// TestStateInput holds the TestState parameters. Every JSON document is
// given as text, as the API carries them; "" means absent.
type TestStateInput struct {
	// Definition is one state's JSON, or a whole state machine when
	// StateName picks the state to test in it.
	Definition string
	StateName  string
	// RoleARN is only checked for presence here (a Task tested without a
	// mock needs one); the API layer checks its form.
	RoleARN   string
	Input     string // the state's input; "" is {}
	Variables string // a JSON object: the variables in scope
	// InspectionLevel is INFO (default), DEBUG or TRACE.
	InspectionLevel string
	RevealSecrets   bool
	Mock            *TestStateMock
	Context         string // the context object ($$), only with a mock
	Config          *TestStateConfig
}

// TestStateMock is a mocked result or error of the tested Task, Map or
// Parallel state.
type TestStateMock struct {
	Result      *string // the state's result, JSON text
	ErrorOutput *TestStateError
	// FieldValidationMode is STRICT (default), PRESENT or NONE: how a
	// Task's mocked result is checked against its service's response.
	FieldValidationMode string
}

// TestStateError is a mocked error.
type TestStateError struct {
	Error *string
	Cause string
}

// TestStateConfig is the stateConfiguration of a TestState call.
type TestStateConfig struct {
	// RetrierRetryCount is the number of retries already made by the
	// retrier that matches the error: it decides RETRIABLE or exhausted.
	RetrierRetryCount *int
	// ErrorCausedByState names the state inside a Map or Parallel that
	// raised the mocked error; it must exist there.
	ErrorCausedByState string
	// MapIterationFailureCount is how many iterations of the mocked Map
	// failed, checked against its tolerated failure threshold.
	MapIterationFailureCount *int
	// MapItemReaderData is the data a Map's ItemReader would read: a JSON
	// array here stands for the items read.
	MapItemReaderData string
}

// The statuses of a TestState answer.
const (
	TestStatusSucceeded   = "SUCCEEDED"
	TestStatusFailed      = "FAILED"
	TestStatusRetriable   = "RETRIABLE"
	TestStatusCaughtError = "CAUGHT_ERROR"
)

// TestStateOutput is the answer of TestState, shaped as the API encodes it.
type TestStateOutput struct {
	Status     string          `json:"status"`
	NextState  string          `json:"nextState,omitempty"`
	Output     string          `json:"output,omitempty"`
	Error      string          `json:"error,omitempty"`
	Cause      string          `json:"cause,omitempty"`
	Inspection *InspectionData `json:"inspectionData,omitempty"`
}

// InspectionData holds the steps of the state's data flow, each as JSON
// text, at inspection level DEBUG or TRACE.
type InspectionData struct {
	Input                      string                  `json:"input,omitempty"`
	AfterInputPath             string                  `json:"afterInputPath,omitempty"`
	AfterParameters            string                  `json:"afterParameters,omitempty"`
	AfterArguments             string                  `json:"afterArguments,omitempty"`
	AfterItemsPath             string                  `json:"afterItemsPath,omitempty"`
	AfterItemSelector          string                  `json:"afterItemSelector,omitempty"`
	AfterItemBatcher           string                  `json:"afterItemBatcher,omitempty"`
	Result                     string                  `json:"result,omitempty"`
	AfterResultSelector        string                  `json:"afterResultSelector,omitempty"`
	AfterResultPath            string                  `json:"afterResultPath,omitempty"`
	Variables                  string                  `json:"variables,omitempty"`
	MaxConcurrency             *int                    `json:"maxConcurrency,omitempty"`
	ToleratedFailureCount      *int                    `json:"toleratedFailureCount,omitempty"`
	ToleratedFailurePercentage *float64                `json:"toleratedFailurePercentage,omitempty"`
	ErrorDetails               *InspectionErrorDetails `json:"errorDetails,omitempty"`
}

// InspectionErrorDetails tells which Retry or Catch handled the error.
type InspectionErrorDetails struct {
	CatchIndex                  *int `json:"catchIndex,omitempty"`
	RetryIndex                  *int `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int `json:"retryBackoffIntervalSeconds,omitempty"`
}

// testStateName is the name a lone state definition is tested under (as
// AWS shows it in the context object).
const testStateName = "StateName"

// testStateMaxDuration bounds a real Task invocation, as AWS bounds a
// TestState call.
const testStateMaxDuration = 5 * time.Minute

// TestState runs one state once, as AWS's TestState API does: no
// execution, no history, Wait does not wait, a Task calls its registered
// resource (or takes the mock's result), and Retry and Catch are decided
// but not followed. The console can call it in-process with an execution's
// recorded input, variables and context to test a state again.
func (e *Engine) TestState(ctx context.Context, in TestStateInput) (TestStateOutput, error) {
	t, err := e.prepareTest(in)
	if err != nil {
		return TestStateOutput{}, err
	}
	t.run(ctx)
	if !t.debug {
		t.out.Inspection = nil
	}
	return t.out, nil
}

// stateTest is one TestState call being run.
type stateTest struct {
	e     *Engine
	in    TestStateInput
	st    *asl.State
	rawSt json.RawMessage // the state's own JSON
	raw   any             // the state's input
	env   *asl.Env
	mock  any // the mocked result, decoded
	debug bool
	out   TestStateOutput
	insp  InspectionData
}

func validationf(format string, args ...any) error {
	return apiErrorf(codeValidationException, format, args...)
}

// prepareTest checks the call as AWS does, in the order it does, and
// builds the test.
func (e *Engine) prepareTest(in TestStateInput) (*stateTest, error) {
	if in.Definition == "" {
		return nil, validationf("1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	t := &stateTest{e: e, in: in}
	switch in.InspectionLevel {
	case "", "INFO":
	case "DEBUG", "TRACE":
		// TRACE adds the HTTP request and response of an HTTP Task; no
		// HTTP Task runs here, so it shows what DEBUG does.
		t.debug = true
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]", in.InspectionLevel)
	}
	st, raw, err := testedState(in.Definition, in.StateName)
	if err != nil {
		return nil, err
	}
	t.st, t.rawSt = st, raw
	if err := t.checkMock(); err != nil {
		return nil, err
	}
	if in.RoleARN == "" && in.Mock == nil && st.Type == asl.TypeTask {
		return nil, validationf("RoleArn must be specified when testing a Task state")
	}
	input := in.Input
	if input == "" {
		input = "{}"
	}
	if t.raw, err = asl.DecodeJSONString(input); err != nil {
		return nil, apiErrorf(codeInvalidExecutionInput, "Invalid State Machine Execution Input: '%s'", inputErrorText(input))
	}
	vars := map[string]any{}
	if in.Variables != "" {
		v, err := asl.DecodeJSONString(in.Variables)
		o, ok := v.(*jsonvalue.Object)
		if err != nil || !ok {
			return nil, validationf("Variables must be a JSON object")
		}
		vars = asl.Variables(o)
	}
	t.env = &asl.Env{Vars: vars, Input: t.raw, Context: e.testContext(t.raw, in.RoleARN)}
	if in.Context != "" {
		c, err := asl.DecodeJSONString(in.Context)
		o, ok := c.(*jsonvalue.Object)
		if err != nil || !ok {
			return nil, validationf("Invalid Context object provided: the context must be a JSON object")
		}
		if msg := t.checkContext(o); msg != "" {
			return nil, validationf("Invalid Context object provided: %s", msg)
		}
		t.env.Context = c
	}
	return t, nil
}

// testedState finds the state to test: the lone state of definition, or
// the one named stateName in a whole state machine (at any depth, as AWS
// finds states inside Map and Parallel).
func testedState(definition, stateName string) (*asl.State, json.RawMessage, error) {
	var probe struct {
		States map[string]json.RawMessage
		Type   string
	}
	if err := json.Unmarshal([]byte(definition), &probe); err != nil {
		return nil, nil, apiErrorf(codeInvalidDefinition, "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: %s'", err)
	}
	if stateName == "" {
		if probe.States != nil && probe.Type == "" {
			if len(probe.States) != 1 {
				return nil, nil, validationf("stateName is required when the definition is a state machine with more than one state")
			}
			for name := range probe.States {
				stateName = name
			}
		} else {
			wrapped, err := wrapState(definition)
			if err != nil {
				return nil, nil, err
			}
			definition, stateName = wrapped, testStateName
		}
	}
	def, err := parseDefinition(definition)
	if err != nil {
		return nil, nil, err
	}
	st := findState(def, stateName)
	if st == nil {
		return nil, nil, validationf("State not found in definition")
	}
	return st, rawState(json.RawMessage(definition), stateName), nil
}

// wrapState makes a state machine of a lone state, with a Succeed state
// for each state it names, so that the validator accepts its transitions.
func wrapState(state string) (string, error) {
	var s struct {
		Next, Default  string
		Choices, Catch []struct{ Next string }
	}
	if err := json.Unmarshal([]byte(state), &s); err != nil {
		return "", apiErrorf(codeInvalidDefinition, "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: %s'", err)
	}
	states := map[string]json.RawMessage{testStateName: json.RawMessage(state)}
	targets := []string{s.Next, s.Default}
	for _, c := range slices.Concat(s.Choices, s.Catch) {
		targets = append(targets, c.Next)
	}
	for _, n := range targets {
		if _, ok := states[n]; !ok && n != "" {
			states[n] = json.RawMessage(`{"Type":"Succeed"}`)
		}
	}
	b, err := json.Marshal(map[string]any{"StartAt": testStateName, "States": states})
	if err != nil {
		return "", fmt.Errorf("wrap the tested state: %w", err)
	}
	return string(b), nil
}

// findState looks name up in def and the branches and item processors of
// its Parallel and Map states.
func findState(def *asl.StateMachine, name string) *asl.State {
	if st, ok := def.States[name]; ok {
		return st
	}
	for _, st := range def.States {
		for _, sub := range append(slices.Clone(st.Branches), st.ItemProcessor) {
			if sub == nil {
				continue
			}
			if found := findState(sub, name); found != nil {
				return found
			}
		}
	}
	return nil
}

// rawState is the JSON of the state name in a state machine's JSON, found
// as findState finds it; nil when absent.
func rawState(def json.RawMessage, name string) json.RawMessage {
	var m struct {
		States map[string]json.RawMessage
	}
	if json.Unmarshal(def, &m) != nil {
		return nil
	}
	if raw, ok := m.States[name]; ok {
		return raw
	}
	for _, raw := range m.States {
		var sub struct {
			Branches                []json.RawMessage
			ItemProcessor, Iterator json.RawMessage
		}
		_ = json.Unmarshal(raw, &sub)
		for _, s := range append(sub.Branches, sub.ItemProcessor, sub.Iterator) {
			if s == nil {
				continue
			}
			if found := rawState(s, name); found != nil {
				return found
			}
		}
	}
	return nil
}

// testContext is the context object a tested state sees by default.
func (e *Engine) testContext(input any, roleARN string) any {
	now := e.cfg.Clock.Now().UTC().Format(time.RFC3339Nano)
	name := "TestState-" + NewUUID()
	smARN := e.stateMachineARN(name)
	exec := jsonvalue.NewObject(5)
	exec.Set("Id", "arn:"+e.cfg.Partition+":states:"+e.cfg.Region+":"+e.cfg.AccountID+":execution:"+name+":"+NewUUID())
	exec.Set("Input", input)
	exec.Set("Name", name)
	if roleARN != "" {
		exec.Set("RoleArn", roleARN)
	} else {
		exec.Set("RoleArn", nil) // as AWS shows it when the call has no role
	}
	exec.Set("StartTime", now)
	sm := jsonvalue.NewObject(2)
	sm.Set("Id", smARN)
	sm.Set("Name", name)
	state := jsonvalue.NewObject(3)
	state.Set("Name", testStateName)
	state.Set("EnteredTime", now)
	state.Set("RetryCount", json.Number("0"))
	c := jsonvalue.NewObject(3)
	c.Set("Execution", exec)
	c.Set("StateMachine", sm)
	c.Set("State", state)
	return c
}

// checkMock applies AWS's rules on mocks and state configurations.
func (t *stateTest) checkMock() error {
	in, st, mock := t.in, t.st, t.in.Mock
	cfg := in.Config
	if cfg == nil {
		cfg = &TestStateConfig{}
	}
	if cfg.MapIterationFailureCount != nil && mock == nil {
		return validationf("TestState does not support MapIterationFailureCount when a mock is not specified.")
	}
	if mock == nil {
		if st.Type == asl.TypeMap || st.Type == asl.TypeParallel {
			return apiErrorf(codeInvalidDefinition, "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
		}
		if in.Context != "" {
			return validationf("TestState does not support Context when a mock is not specified.")
		}
		return nil
	}
	if st.Type != asl.TypeTask && st.Type != asl.TypeMap && st.Type != asl.TypeParallel {
		return validationf("State type '%s' is not supported when a mock is specified", st.Type)
	}
	if in.RevealSecrets {
		return validationf("TestState does not support RevealSecrets when a mock is specified.")
	}
	switch {
	case mock.Result != nil && mock.ErrorOutput != nil:
		return validationf("A test mock should have only one of the following fields: [result, errorOutput].")
	case mock.Result == nil && mock.ErrorOutput == nil:
		return validationf("A test mock should have one of the following fields: [result, errorOutput].")
	case mock.ErrorOutput != nil && mock.ErrorOutput.Error == nil:
		return validationf("1 validation error detected: Value null at 'mock.errorOutput.error' failed to satisfy constraint: Member must not be null")
	}
	mode := mock.FieldValidationMode
	if mode == "" {
		mode = "STRICT"
	}
	if mode != "STRICT" && mode != "PRESENT" && mode != "NONE" {
		return validationf("1 validation error detected: Value '%s' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]", mode)
	}
	if cfg.ErrorCausedByState != "" {
		if st.Type != asl.TypeMap && st.Type != asl.TypeParallel || !t.containsState(cfg.ErrorCausedByState) {
			return validationf("State '%s' is not a state of the tested Map or Parallel state", cfg.ErrorCausedByState)
		}
	}
	if mock.Result == nil {
		return nil
	}
	v, err := asl.DecodeJSONString(*mock.Result)
	if err != nil {
		return validationf("Mocked result must be valid JSON")
	}
	t.mock = v
	switch st.Type {
	case asl.TypeMap:
		if len(st.ResultWriter) > 0 {
			if _, ok := v.(*jsonvalue.Object); !ok {
				return validationf("Mocked result must be a JSON object.")
			}
		} else if _, ok := v.([]any); !ok {
			return validationf("Mocked result must be an array.")
		}
	case asl.TypeParallel:
		a, ok := v.([]any)
		if !ok {
			return validationf("Mocked result must be an array.")
		}
		if len(a) != len(st.Branches) {
			return validationf("Mocked result must contain the same number of items as number of Parallel branches.")
		}
	case asl.TypeTask:
		if msg := checkMockedResult(taskResource(st), v, mode); msg != "" {
			return validationf("Mock result schema validation error: %s", msg)
		}
	}
	if n := cfg.MapIterationFailureCount; n != nil {
		if a, ok := v.([]any); ok && *n > len(a) {
			return validationf("Map iteration failure count must be less than or equal to the number of Map iterations")
		}
	}
	return nil
}

// contextFields are the fields a mocked context object may have, with the
// string fields among them.
var contextFields = map[string]struct{ fields, strings []string }{
	"Execution":    {[]string{"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount", "RedriveTime"}, []string{"Id", "Name", "RoleArn", "StartTime", "RedriveTime"}},
	"State":        {[]string{"EnteredTime", "Name", "RetryCount"}, []string{"EnteredTime", "Name"}},
	"StateMachine": {[]string{"Id", "Name"}, []string{"Id", "Name"}},
	"Task":         {[]string{"Token"}, []string{"Token"}},
}

// checkContext checks a given context object as AWS does, answering what
// is wrong in AWS's words ("" when nothing is).
func (t *stateTest) checkContext(c *jsonvalue.Object) string {
	for i := range c.Len() {
		k, v := c.At(i)
		spec, ok := contextFields[k]
		switch {
		case k == "Map":
			return "'Map' field is not supported when mocking a Context object"
		case !ok:
			return fmt.Sprintf("Field '%s' is not allowed", k)
		case k == "Task" && !t.waitsForTask():
			return "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"
		}
		o, ok := v.(*jsonvalue.Object)
		if !ok {
			return fmt.Sprintf("%s must be an object", k)
		}
		for j := range o.Len() {
			f, fv := o.At(j)
			if !slices.Contains(spec.fields, f) {
				return fmt.Sprintf("Field '%s' is not allowed", f)
			}
			if _, isStr := fv.(string); slices.Contains(spec.strings, f) && !isStr {
				return fmt.Sprintf("%s.%s must be a string", k, f)
			}
		}
	}
	return ""
}

// waitsForTask reports whether the state is a Task of the .sync or
// .waitForTaskToken pattern, whose context has a Task field.
func (t *stateTest) waitsForTask() bool {
	res := taskResource(t.st)
	return t.st.Type == asl.TypeTask && (strings.HasSuffix(res, callbackSuffix) || strings.Contains(res, ".sync"))
}

// containsState reports whether a Map's or Parallel's own states include name.
func (t *stateTest) containsState(name string) bool {
	for _, sub := range append(slices.Clone(t.st.Branches), t.st.ItemProcessor) {
		if sub != nil && findState(sub, name) != nil {
			return true
		}
	}
	return false
}

// taskResource is a Task's Resource when it is a string, else "".
func taskResource(st *asl.State) string {
	var s string
	_ = json.Unmarshal(st.Resource, &s)
	return s
}

// run runs the state and fills t.out.
func (t *stateTest) run(ctx context.Context) {
	st := t.st
	if t.debug {
		t.insp.Input = marshalValue(t.raw)
		t.out.Inspection = &t.insp
	}
	switch st.Type {
	case asl.TypePass:
		t.pass()
	case asl.TypeChoice:
		t.choice()
	case asl.TypeWait:
		t.wait()
	case asl.TypeSucceed:
		if in, ok := t.afterInputPath(); ok {
			t.passOn(in)
		}
	case asl.TypeFail:
		if _, ok := t.afterInputPath(); !ok {
			return
		}
		name, cause, err := st.ErrorAndCause(t.raw, t.env)
		if err != nil {
			t.fail(err)
			return
		}
		t.out.Status, t.out.Error, t.out.Cause = TestStatusFailed, name, cause
	case asl.TypeTask:
		t.task(ctx)
	case asl.TypeMap:
		t.mapState()
	case asl.TypeParallel:
		t.parallel()
	}
}

// show records one step of the data flow at DEBUG.
func (t *stateTest) show(field *string, v any) {
	if t.debug {
		*field = marshalValue(v)
	}
}

// afterInputPath applies a JSONPath state's InputPath (shown), or gives a
// JSONata state's raw input; false when it failed (t.out is set).
func (t *stateTest) afterInputPath() (any, bool) {
	if t.st.IsJSONata() {
		return t.raw, true
	}
	v, err := t.st.AfterInputPath(t.raw, t.env)
	if err != nil {
		t.fail(err)
		return nil, false
	}
	t.show(&t.insp.AfterInputPath, v)
	return v, true
}

// effectiveInput is InputPath then Parameters (JSONPath) or Arguments
// (JSONata), each step shown unless quiet.
func (t *stateTest) effectiveInput(quiet bool) (any, bool) {
	st := t.st
	if st.IsJSONata() {
		v, err := st.EffectiveInput(t.raw, t.env)
		if err != nil {
			t.fail(err)
			return nil, false
		}
		if st.Arguments != nil && !quiet {
			t.show(&t.insp.AfterArguments, v)
		}
		return v, true
	}
	v, err := st.AfterInputPath(t.raw, t.env)
	if err != nil {
		t.fail(err)
		return nil, false
	}
	p, err := st.AfterParameters(v, t.env)
	if err != nil {
		t.fail(err)
		return nil, false
	}
	if !quiet {
		t.show(&t.insp.AfterInputPath, v)
		t.show(&t.insp.AfterParameters, p)
	}
	return p, true
}

func (t *stateTest) pass() {
	st := t.st
	if st.HasResult {
		t.show(&t.insp.Result, st.Result)
		t.finish(st.Result)
		return
	}
	in, ok := t.effectiveInput(st.IsJSONata())
	if ok {
		t.finish(in)
	}
}

func (t *stateTest) choice() {
	st := t.st
	if st.IsJSONata() {
		next, out, vars, err := st.JSONataChoice(t.env)
		if err != nil {
			t.fail(err)
			return
		}
		t.succeed(out, vars, next)
		return
	}
	in, ok := t.afterInputPath()
	if !ok {
		return
	}
	next, assign, err := st.NextState(in, t.env)
	if err != nil {
		t.fail(err)
		return
	}
	var vars map[string]any
	if assign != nil {
		v, err := assign.Evaluate(in, t.env)
		if err != nil {
			t.fail(err)
			return
		}
		vars = asl.Variables(v)
	}
	out, err := st.EffectiveOutput(t.raw, in, t.env)
	if err != nil {
		t.fail(err)
		return
	}
	t.succeed(out, vars, next)
}

func (t *stateTest) wait() {
	st := t.st
	in, ok := t.afterInputPath()
	if !ok {
		return
	}
	// The time is worked out, for its errors, but not waited for.
	if _, err := st.Until(in, t.env, t.e.cfg.Clock.Now()); err != nil {
		t.fail(err)
		return
	}
	t.passOn(in)
}

// passOn completes a state without a result (Wait, Succeed): OutputPath
// or JSONata's Output, and Assign, on its input.
func (t *stateTest) passOn(in any) {
	st := t.st
	out, err := st.EffectiveOutput(t.raw, in, t.env)
	if err != nil {
		t.fail(err)
		return
	}
	vars, err := st.ApplyAssign(in, t.env)
	if err != nil {
		t.fail(err)
		return
	}
	t.succeed(out, vars, st.Next)
}

// finish completes a state that has a result (Pass, Task, Map, Parallel):
// ResultSelector, ResultPath, OutputPath and Assign, or JSONata's Output
// and Assign.
func (t *stateTest) finish(result any) {
	st := t.st
	var out, sel any
	var err error
	if st.IsJSONata() {
		sel = result
		out, err = st.EffectiveOutput(t.raw, result, t.env)
	} else {
		if sel, err = st.SelectResult(result, t.env); err == nil {
			t.show(&t.insp.AfterResultSelector, sel)
			var arp any
			if arp, err = st.AfterResultPath(t.raw, sel); err == nil {
				t.show(&t.insp.AfterResultPath, arp)
				out, err = st.ApplyOutputPath(arp, t.env)
			}
		}
	}
	if err != nil {
		t.fail(err)
		return
	}
	vars, err := st.ApplyAssign(sel, t.env)
	if err != nil {
		t.fail(err)
		return
	}
	t.succeed(out, vars, st.Next)
}

// succeed ends the test with out, moving on to next ("" at the end).
func (t *stateTest) succeed(out any, vars map[string]any, next string) {
	t.out.Status, t.out.Output = TestStatusSucceeded, marshalValue(out)
	if !t.st.End {
		t.out.NextState = next
	}
	t.showVariables(vars)
}

// showVariables shows the variables in scope after the state assigned vars.
func (t *stateTest) showVariables(vars map[string]any) {
	if !t.debug || len(vars)+len(t.env.Vars) == 0 {
		return
	}
	all := maps.Clone(t.env.Vars)
	maps.Copy(all, vars)
	o := jsonvalue.NewObject(len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		o.Set(k, all[k])
	}
	t.insp.Variables = marshalValue(o)
}

// fail ends the test with an error, which the state's Retry may retry or
// its Catch catch, as in an execution; States.Runtime is neither.
func (t *stateTest) fail(err error) {
	var ae *asl.Error
	if !errors.As(err, &ae) {
		ae = &asl.Error{Name: asl.ErrRuntime, Cause: err.Error()}
	}
	st := t.st
	t.out.Error, t.out.Cause = ae.Name, ae.Cause
	for i, r := range st.Retry {
		if !asl.ErrorMatches(r.ErrorEquals, ae.Name) {
			continue
		}
		attempt := 0
		if c := t.in.Config; c != nil && c.RetrierRetryCount != nil {
			attempt = *c.RetrierRetryCount
		}
		d := &InspectionErrorDetails{RetryIndex: new(i)}
		t.insp.ErrorDetails = d
		if r.CanRetry(attempt) {
			d.RetryBackoffIntervalSeconds = new(int(r.Delay(attempt, nil) / time.Second))
			t.out.Status = TestStatusRetriable
			return
		}
		break // retries exhausted: on to Catch
	}
	for i, c := range st.Catch {
		if !asl.ErrorMatches(c.ErrorEquals, ae.Name) {
			continue
		}
		out, vars, err := c.CatchOutput(t.raw, ae, t.env, st.IsJSONata())
		if err != nil {
			// The catcher's own output failed: the state fails with that.
			var ce *asl.Error
			if errors.As(err, &ce) {
				t.out.Error, t.out.Cause = ce.Name, ce.Cause
			}
			t.out.Status = TestStatusFailed
			return
		}
		if t.insp.ErrorDetails == nil {
			t.insp.ErrorDetails = &InspectionErrorDetails{}
		}
		t.insp.ErrorDetails.CatchIndex = new(i)
		t.out.Status, t.out.NextState, t.out.Output = TestStatusCaughtError, c.Next, marshalValue(out)
		t.showVariables(vars)
		return
	}
	t.out.Status = TestStatusFailed
}

// mockedError is the mock's error, if it mocks one.
func (t *stateTest) mockedError() *asl.Error {
	if m := t.in.Mock; m != nil && m.ErrorOutput != nil {
		return &asl.Error{Name: *m.ErrorOutput.Error, Cause: m.ErrorOutput.Cause}
	}
	return nil
}

func (t *stateTest) task(ctx context.Context) {
	in, ok := t.effectiveInput(false)
	if !ok {
		return
	}
	if err := t.mockedError(); err != nil {
		t.fail(err)
		return
	}
	result := t.mock
	if t.in.Mock == nil {
		var err error
		if result, err = t.invoke(ctx, in); err != nil {
			t.fail(err)
			return
		}
	}
	t.show(&t.insp.Result, result)
	t.finish(result)
}

// invoke calls the Task's resource as an execution would, and decodes its result.
func (t *stateTest) invoke(ctx context.Context, in any) (any, error) {
	var params struct{ Parameters, Arguments map[string]json.RawMessage }
	_ = json.Unmarshal(t.rawSt, &params)
	if params.Parameters == nil {
		params.Parameters = params.Arguments
	}
	tk, err := t.e.resolveTask(t.st.Resource, params.Parameters)
	if err != nil {
		return nil, &asl.Error{Name: asl.ErrRuntime, Cause: err.Error()}
	}
	if tk.kind == taskActivity || tk.callback {
		return nil, validationf("TestState cannot wait for an activity or a task token here: give a mock for this Task")
	}
	timeout, err := t.st.Timeout(in, t.env)
	if err != nil {
		return nil, err
	}
	d := testStateMaxDuration
	if timeout > 0 && time.Duration(timeout)*time.Second < d {
		d = time.Duration(timeout) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	inv, payload := tk.invoker, marshalValue(in)
	if tk.kind == taskLambdaInvoke {
		var aerr *asl.Error
		if inv, payload, aerr = t.e.lambdaInvokeTarget(tk, in); aerr != nil {
			return nil, aerr
		}
	}
	var out []byte
	if tk.invokesFunction() {
		// A function invocation takes a task slot as an execution's
		// does.
		if err = t.e.slots.wait(ctx); err == nil {
			defer t.e.slots.release()
		}
	}
	switch job, isJob := inv.(JobInvoker); {
	case err != nil:
		// No slot before the state's timeout (or the caller left).
	case isJob:
		err = safeCall(func() error {
			_, wait, err := job.Submit(ctx, []byte(payload))
			if err == nil {
				out, err = wait(ctx)
			}
			return err
		})
	default:
		out, err = safeInvoke(ctx, inv, []byte(payload))
	}
	if ctx.Err() == context.DeadlineExceeded {
		return nil, &asl.Error{Name: asl.ErrTimeout}
	}
	if err != nil {
		le := mapLambdaError(err)
		return nil, &asl.Error{Name: le.Name, Cause: le.Cause}
	}
	var result any
	if len(bytes.TrimSpace(out)) > 0 {
		if result, err = asl.DecodeJSONString(string(out)); err != nil {
			return nil, &asl.Error{Name: asl.ErrRuntime, Cause: "The task returned invalid JSON: " + err.Error()}
		}
	}
	if tk.kind == taskLambdaInvoke {
		result = lambdaInvokeResult(result, 200)
	}
	return result, nil
}

// mapState tests a Map state with a mocked result: its items are worked
// out and shown, the iterations are not run.
func (t *stateTest) mapState() {
	st := t.st
	in, ok := t.afterInputPath()
	if !ok {
		return
	}
	items, err := t.mapItems(in)
	if err != nil {
		t.fail(err)
		return
	}
	if !st.IsJSONata() {
		t.show(&t.insp.AfterItemsPath, items)
	}
	if st.ItemSelector != nil || st.JItemSelector != nil || (st.Parameters != nil && !st.IsJSONata()) {
		sel := make([]any, len(items))
		for i, it := range items {
			if sel[i], err = st.ItemInput(in, i, it, t.env); err != nil {
				t.fail(err)
				return
			}
		}
		t.show(&t.insp.AfterItemSelector, sel)
	}
	if len(st.ItemBatcher) > 0 {
		batches, err := batchItems(st.ItemBatcher, items)
		if err != nil {
			t.fail(err)
			return
		}
		t.show(&t.insp.AfterItemBatcher, batches)
	}
	mc, err := st.Concurrency(in, t.env)
	if err != nil {
		t.fail(err)
		return
	}
	t.insp.MaxConcurrency = new(mc)
	if st.ToleratedFailureCount > 0 {
		t.insp.ToleratedFailureCount = new(st.ToleratedFailureCount)
	}
	if st.ToleratedFailurePercentage > 0 {
		t.insp.ToleratedFailurePercentage = new(st.ToleratedFailurePercentage)
	}
	if err := t.mockedError(); err != nil {
		t.fail(err)
		return
	}
	if t.toleranceExceeded(len(items)) {
		t.fail(&asl.Error{Name: "States.ExceedToleratedFailureThreshold", Cause: "The specified tolerated failure threshold was exceeded"})
		return
	}
	t.finish(t.mock)
}

// batchItems groups a Map's items as its ItemBatcher would: batches of at
// most MaxItemsPerBatch items, each {"BatchInput": ..., "Items": [...]}.
// MaxItemsPerBatchPath and MaxInputBytesPerBatch are not applied here.
func batchItems(raw json.RawMessage, items []any) ([]any, error) {
	var b struct {
		MaxItemsPerBatch int
		BatchInput       json.RawMessage
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, &asl.Error{Name: asl.ErrRuntime, Cause: "invalid ItemBatcher: " + err.Error()}
	}
	var input any
	if len(b.BatchInput) > 0 {
		v, err := asl.DecodeJSON(b.BatchInput)
		if err != nil {
			return nil, &asl.Error{Name: asl.ErrRuntime, Cause: "invalid ItemBatcher.BatchInput: " + err.Error()}
		}
		input = v
	}
	size := b.MaxItemsPerBatch
	if size <= 0 {
		size = len(items)
	}
	var batches []any
	for chunk := range slices.Chunk(items, max(size, 1)) {
		o := jsonvalue.NewObject(2)
		if input != nil {
			o.Set("BatchInput", input)
		}
		o.Set("Items", chunk)
		batches = append(batches, o)
	}
	return batches, nil
}

// mapItems are the Map's items: from the configured ItemReader data when
// given, else ItemsPath (JSONata: Items) on its input.
func (t *stateTest) mapItems(in any) ([]any, error) {
	if c := t.in.Config; c != nil && c.MapItemReaderData != "" && len(t.st.ItemReader) > 0 {
		v, err := asl.DecodeJSONString(c.MapItemReaderData)
		a, ok := v.([]any)
		if err != nil || !ok {
			return nil, validationf("mapItemReaderData must be a JSON array of the items read")
		}
		return a, nil
	}
	if t.st.IsJSONata() {
		return t.st.Items(t.raw, t.env)
	}
	return t.st.Items(in, t.env)
}

// toleranceExceeded reports whether the configured number of failed
// iterations exceeds the Map's tolerated failures (a Map tolerating none
// is not checked, as AWS answers).
func (t *stateTest) toleranceExceeded(items int) bool {
	c, st := t.in.Config, t.st
	if c == nil || c.MapIterationFailureCount == nil || !st.HasToleratedFailure {
		return false
	}
	n := *c.MapIterationFailureCount
	if st.ToleratedFailureCount > 0 && n > st.ToleratedFailureCount {
		return true
	}
	return st.ToleratedFailurePercentage > 0 && items > 0 && float64(n)*100/float64(items) > st.ToleratedFailurePercentage
}

// parallel tests a Parallel state with a mocked result: the branches are
// not run.
func (t *stateTest) parallel() {
	if _, ok := t.effectiveInput(true); !ok {
		return
	}
	if err := t.mockedError(); err != nil {
		t.fail(err)
		return
	}
	t.finish(t.mock)
}
