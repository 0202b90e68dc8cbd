package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// The choices the test form offers, as the TestState API names them.
var (
	inspectionLevels = []string{"INFO", "DEBUG", "TRACE"}
	mockKinds        = []string{"", "result", "error"}
	validationModes  = []string{"STRICT", "PRESENT", "NONE"}
)

// crossOrigin refuses cross-site posts (by Sec-Fetch-Site, else Origin);
// safe methods pass.
var crossOrigin = http.NewCrossOriginProtection()

// testStateHref is the "Test this state" page of a state of an execution;
// event, when not 0, picks the visit (the id of its StateEntered event).
func testStateHref(arn, state string, event int64) string {
	q := url.Values{"arn": {arn}, "state": {state}}
	if event != 0 {
		q.Set("event", strconv.FormatInt(event, 10))
	}
	return "test-state?" + q.Encode()
}

// visit is one entry of a state in an execution's history.
type visit struct {
	EventID   int64
	Input     string // JSON text
	Entered   time.Time
	Iteration *int32 // the Map iteration it ran in (the innermost), when it did; worked out for the chosen visit only
	Truncated bool   // the history holds only part of the input (AWS truncates large data)
	Href      string
	Current   bool
}

// recording is what an execution's history says about one visit of a
// state: what a test of that state starts from.
type recording struct {
	Visits []visit
	Visit  *visit // nil: the state was never entered
	// Variables are the workflow variables in scope when the state was
	// entered (name → JSON text), from the assignedVariables of the states
	// that exited before it on its own path through the history.
	Variables map[string]string
	// Exact is false when that path could not be followed to the
	// execution's start (then Variables may miss some or include some of
	// another branch or iteration), or when the history truncated a value.
	Exact bool
}

// recordState finds the visits of a state in a history and, for the one
// whose StateEntered event is event (0: the first), its input and the
// variables in scope. scopes gives each state's enclosing Map and Parallel
// branches (stateScopes).
//
// The variables follow previousEventId from the state's StateEntered event
// back to the start of the execution, taking the assignedVariables of the
// states that exited on the way, latest first. That chain runs through
// everything recorded before, in order, so it is pruned by scope: a state
// of another Parallel branch (or one nested deeper) assigns nothing visible
// here; a Map or Parallel state that exited is stepped over to its entry,
// since what its branches assigned stays inside them (what the state itself
// assigned on exit counts); and the start of the Map iteration the state
// ran in leads back to the Map's entry, past the iterations before it.
func recordState(events []types.HistoryEvent, scopes map[string][]string, state string, event int64) recording {
	rec := recording{Variables: map[string]string{}}
	byID := make(map[int64]int, len(events))
	for i, ev := range events {
		byID[ev.Id] = i
		if d := ev.StateEnteredEventDetails; d != nil && aws.ToString(d.Name) == state {
			rec.Visits = append(rec.Visits, visit{EventID: ev.Id, Input: aws.ToString(d.Input), Entered: aws.ToTime(ev.Timestamp),
				Truncated: d.InputDetails != nil && d.InputDetails.Truncated})
		}
	}
	if len(rec.Visits) == 0 {
		rec.Exact = true
		return rec
	}
	pick := 0
	for i, v := range rec.Visits {
		if v.EventID == event {
			pick = i
		}
	}
	rec.Visit = &rec.Visits[pick]
	rec.Visit.Current = true

	scope := scopes[state] // shortened as the walk leaves a Map iteration
	inScope := func(name string) bool {
		s := scopes[name]
		return len(s) <= len(scope) && slices.Equal(s, scope[:len(s)])
	}
	rec.Exact = true
	cur := events[byID[rec.Visit.EventID]].PreviousEventId
	for steps := 0; steps <= len(events); steps++ {
		i, ok := byID[cur]
		if !ok {
			// AWS chains the first state to ExecutionStarted (id 1), the
			// local engine to 0: either is the start.
			rec.Exact = rec.Exact && cur == 0
			return rec
		}
		ev := events[i]
		if ev.Type == types.HistoryEventTypeExecutionStarted {
			return rec
		}
		next := ev.PreviousEventId
		switch {
		case ev.StateExitedEventDetails != nil:
			d := ev.StateExitedEventDetails
			name := aws.ToString(d.Name)
			if inScope(name) {
				if d.AssignedVariablesDetails != nil && d.AssignedVariablesDetails.Truncated {
					rec.Exact = false // the values recorded are cut short
				}
				for k, v := range d.AssignedVariables {
					if _, later := rec.Variables[k]; !later {
						rec.Variables[k] = v
					}
				}
			}
			if ev.Type == types.HistoryEventTypeMapStateExited || ev.Type == types.HistoryEventTypeParallelStateExited {
				if j := lastEntered(events[:i], name); j >= 0 {
					next = events[j].PreviousEventId
				}
			}
		case ev.MapIterationStartedEventDetails != nil, ev.MapIterationSucceededEventDetails != nil,
			ev.MapIterationFailedEventDetails != nil, ev.MapIterationAbortedEventDetails != nil:
			d := ev.MapIterationStartedEventDetails
			if d == nil {
				d = ev.MapIterationSucceededEventDetails
			}
			if d == nil {
				d = ev.MapIterationFailedEventDetails
			}
			if d == nil {
				d = ev.MapIterationAbortedEventDetails
			}
			name := aws.ToString(d.Name)
			k := slices.Index(scope, name+"#0")
			if k < 0 {
				break // an inner Map's iteration: stepped over from its exit
			}
			if ev.MapIterationStartedEventDetails == nil {
				// The end of another iteration of the Map this state runs
				// in: iterations ran side by side, and the chain crossed
				// into one.
				rec.Exact = false
				break
			}
			if rec.Visit.Iteration == nil {
				idx := d.Index
				rec.Visit.Iteration = &idx
			}
			scope = scope[:k]
			if j := lastEntered(events[:i], name); j >= 0 {
				next = events[j].PreviousEventId
			}
		}
		cur = next
	}
	rec.Exact = false // a cycle
	return rec
}

// lastEntered is the index of the latest StateEntered event of a state, or -1.
func lastEntered(events []types.HistoryEvent, name string) int {
	for i := len(events) - 1; i >= 0; i-- {
		if d := events[i].StateEnteredEventDetails; d != nil && aws.ToString(d.Name) == name {
			return i
		}
	}
	return -1
}

// walkDefinition visits every state of a definition, those in Parallel
// branches and Map item processors too, outer scopes first and by name
// within one, with its enclosing scopes, outermost first: "Name#i" for the
// i-th branch of Parallel state Name, "Name#0" for Map state Name's item
// processor.
func walkDefinition(definition string, fn func(name, typ string, raw json.RawMessage, scope []string)) {
	var walk func(raw json.RawMessage, scope []string, depth int)
	walk = func(raw json.RawMessage, scope []string, depth int) {
		var m struct {
			States map[string]json.RawMessage `json:"States"`
		}
		if depth > maxNesting || json.Unmarshal(raw, &m) != nil {
			return
		}
		type inner struct {
			scope []string
			raw   json.RawMessage
		}
		var later []inner
		for _, name := range slices.Sorted(maps.Keys(m.States)) {
			var st struct {
				Type          string            `json:"Type"`
				Branches      []json.RawMessage `json:"Branches"`
				ItemProcessor json.RawMessage   `json:"ItemProcessor"`
				Iterator      json.RawMessage   `json:"Iterator"`
			}
			if json.Unmarshal(m.States[name], &st) != nil {
				continue
			}
			fn(name, st.Type, m.States[name], scope)
			for i, b := range append(st.Branches, st.ItemProcessor, st.Iterator) {
				if len(b) == 0 {
					continue
				}
				if i >= len(st.Branches) {
					i = 0 // the Map's item processor
				}
				later = append(later, inner{append(slices.Clip(scope), name+"#"+strconv.Itoa(i)), b})
			}
		}
		for _, in := range later {
			walk(in.raw, in.scope, depth+1)
		}
	}
	walk(json.RawMessage(definition), nil, 0)
}

// stateScopes gives every state of a definition its enclosing scopes
// (walkDefinition).
func stateScopes(definition string) map[string][]string {
	out := map[string][]string{}
	walkDefinition(definition, func(name, _ string, _ json.RawMessage, scope []string) {
		if _, dup := out[name]; !dup {
			out[name] = scope
		}
	})
	return out
}

// findStateDef finds a state by name in a definition, in any Parallel
// branch or Map item processor too, and returns it as written with its
// type. Of a name used twice (AWS refuses that), the outermost wins.
func findStateDef(definition, name string) (raw json.RawMessage, typ string, found bool) {
	walkDefinition(definition, func(n, t string, r json.RawMessage, _ []string) {
		if n == name && !found {
			raw, typ, found = r, t, true
		}
	})
	return raw, typ, found
}

// testForm is what the test form sends, and shows again with the result.
type testForm struct {
	Input, Variables, Context string
	Level                     string // INFO, DEBUG or TRACE
	Mock                      string // "", "result" or "error"
	MockResult                string
	MockError, MockCause      string
	Validation                string // the mocked result's field validation mode
}

// readForm reads a posted test form, refusing values no form offers.
func readForm(r *http.Request) (testForm, error) {
	f := testForm{
		Input: r.PostForm.Get("input"), Variables: r.PostForm.Get("variables"), Context: r.PostForm.Get("context"),
		Level: r.PostForm.Get("inspectionLevel"), Mock: r.PostForm.Get("mock"), MockResult: r.PostForm.Get("mockResult"),
		MockError: r.PostForm.Get("mockError"), MockCause: r.PostForm.Get("mockCause"), Validation: r.PostForm.Get("fieldValidationMode"),
	}
	if f.Level == "" {
		f.Level = "INFO"
	}
	if f.Validation == "" {
		f.Validation = "STRICT"
	}
	if !slices.Contains(inspectionLevels, f.Level) || !slices.Contains(mockKinds, f.Mock) || !slices.Contains(validationModes, f.Validation) {
		return f, errors.New("inspectionLevel is INFO, DEBUG or TRACE; mock is empty, result or error; fieldValidationMode is STRICT, PRESENT or NONE")
	}
	return f, nil
}

// request is the TestState call the form asks for: the whole definition
// and the state's name, as AWS allows, so the state is tested as it sits in
// its machine.
func (f testForm) request(definition, state, roleARN string) *sfn.TestStateInput {
	in := &sfn.TestStateInput{Definition: aws.String(definition), StateName: aws.String(state),
		InspectionLevel: types.InspectionLevel(f.Level)}
	if roleARN != "" {
		in.RoleArn = aws.String(roleARN)
	}
	if s := strings.TrimSpace(f.Input); s != "" {
		in.Input = aws.String(s)
	}
	if s := strings.TrimSpace(f.Variables); s != "" && s != "{}" {
		in.Variables = aws.String(s)
	}
	switch f.Mock {
	case "result":
		in.Mock = &types.MockInput{Result: aws.String(strings.TrimSpace(f.MockResult)),
			FieldValidationMode: types.MockResponseValidationMode(f.Validation)}
	case "error":
		in.Mock = &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String(f.MockError), Cause: aws.String(f.MockCause)}}
	}
	// AWS takes a context object only along with a mock.
	if s := strings.TrimSpace(f.Context); s != "" && in.Mock != nil {
		in.Context = aws.String(s)
	}
	return in
}

// inspectionStep is one step of the state's data flow.
type inspectionStep struct {
	Key, Label, JSON string
}

// testResult is a TestState answer, laid out for the page.
type testResult struct {
	Status, StatusClass, StatusText string
	NextState, Output               string
	Error, Cause                    string
	Steps                           []inspectionStep
	ErrorDetails                    []inspectionStep // retryIndex, retryBackoffIntervalSeconds, catchIndex
	Request, Response               string           // TRACE: an HTTP Task's call
}

// testStatusClass draws a test's status as the state status it matches.
var testStatusClass = map[types.TestExecutionStatus]runStatus{
	types.TestExecutionStatusSucceeded:   statusSucceeded,
	types.TestExecutionStatusFailed:      statusFailed,
	types.TestExecutionStatusRetriable:   statusRetried,
	types.TestExecutionStatusCaughtError: statusCaught,
}

func newTestResult(out *sfn.TestStateOutput) *testResult {
	class, ok := testStatusClass[out.Status]
	if !ok {
		class = statusNotReached
	}
	res := &testResult{Status: string(out.Status), StatusClass: string(class),
		StatusText: strings.ReplaceAll(strings.ToLower(string(out.Status)), "_", " "),
		NextState:  aws.ToString(out.NextState), Output: prettyJSON(aws.ToString(out.Output)),
		Error: aws.ToString(out.Error), Cause: aws.ToString(out.Cause)}
	d := out.InspectionData
	if d == nil {
		return res
	}
	// The order a state processes its data in; only the steps present.
	steps := []struct {
		key, label string
		v          *string
	}{
		{"input", "Input", d.Input},
		{"afterInputPath", "After InputPath", d.AfterInputPath},
		{"afterItemsPath", "After ItemsPath", d.AfterItemsPath},
		{"afterItemsPointer", "After ItemsPointer", d.AfterItemsPointer},
		{"afterParameters", "After Parameters", d.AfterParameters},
		{"afterArguments", "After Arguments", d.AfterArguments},
		{"afterItemSelector", "After ItemSelector", d.AfterItemSelector},
		{"afterItemBatcher", "After ItemBatcher", d.AfterItemBatcher},
		{"result", "Result", d.Result},
		{"afterResultSelector", "After ResultSelector", d.AfterResultSelector},
		{"afterResultPath", "After ResultPath", d.AfterResultPath},
		{"variables", "Variables", d.Variables},
	}
	for _, s := range steps {
		res.Steps = addStep(res.Steps, s.key, s.label, s.v, prettyJSON)
	}
	if e := d.ErrorDetails; e != nil {
		itoa := func(n int32) string { return strconv.Itoa(int(n)) }
		res.ErrorDetails = addStep(res.ErrorDetails, "retryIndex", "Retrier", e.RetryIndex, itoa)
		res.ErrorDetails = addStep(res.ErrorDetails, "retryBackoffIntervalSeconds", "Backoff (s)", e.RetryBackoffIntervalSeconds, itoa)
		res.ErrorDetails = addStep(res.ErrorDetails, "catchIndex", "Catcher", e.CatchIndex, itoa)
	}
	if d.Request != nil {
		res.Request = plainJSON(toPlain(reflect.ValueOf(d.Request).Elem()))
	}
	if d.Response != nil {
		res.Response = plainJSON(toPlain(reflect.ValueOf(d.Response).Elem()))
	}
	return res
}

// addStep appends a step when the answer has it (v is not nil).
func addStep[T any](steps []inspectionStep, key, label string, v *T, text func(T) string) []inspectionStep {
	if v == nil {
		return steps
	}
	return append(steps, inspectionStep{Key: key, Label: label, JSON: text(*v)})
}

// testError is an error the TestState API answered with, shown on the page.
type testError struct {
	Code, Message string
}

// testStatePage is what the test page shows.
type testStatePage struct {
	Title, MachineName, MachineHref, ExecName, ExecHref string
	ARN, State, Type, Action                            string
	StateDef, Definition                                string
	Mockable, JSONata                                   bool
	Rec                                                 recording
	VariableNames                                       []string
	Form                                                testForm
	Levels, Validations                                 []string
	Result                                              *testResult
	Err                                                 *testError
}

// testState is the "Test this state" page: a form pre-filled from the
// execution's history; posted, it calls TestState and shows the answer.
func (h *Handler) testState(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Untested TestState calls the state's real integration (on the local
	// runtime, its handlers): another site's page must not post here.
	if err := crossOrigin.Check(r); err != nil {
		h.fail(w, r, &pageError{Status: http.StatusForbidden, Msg: "test state", Err: err})
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, &pageError{Status: http.StatusBadRequest, Msg: "read the form", Err: err})
		return
	}
	q := r.URL.Query()
	arn, state := q.Get("arn"), q.Get("state")
	event, evErr := strconv.ParseInt(q.Get("event"), 10, 64)
	if arn == "" || state == "" || (q.Get("event") != "" && evErr != nil) {
		h.fail(w, r, &pageError{Status: http.StatusBadRequest, Msg: "need ?arn=<execution ARN>&state=<state name>, and an optional event=<StateEntered event id>"})
		return
	}
	ex, events, sm, err := h.loadExecution(ctx, arn)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	def := aws.ToString(sm.Definition)
	raw, typ, ok := findStateDef(def, state)
	if !ok {
		h.fail(w, r, &pageError{Status: http.StatusNotFound, Msg: fmt.Sprintf("no state %q in the definition of %s", state, aws.ToString(sm.Name))})
		return
	}
	rec := recordState(events, stateScopes(def), state, event)
	for i := range rec.Visits {
		rec.Visits[i].Href = testStateHref(arn, state, rec.Visits[i].EventID)
	}
	p := &testStatePage{
		Title: "Test " + state, MachineName: aws.ToString(sm.Name),
		MachineHref: "state-machine?" + url.Values{"arn": {aws.ToString(ex.StateMachineArn)}}.Encode(),
		ExecName:    aws.ToString(ex.Name), ExecHref: "execution?" + url.Values{"arn": {arn}, "state": {state}}.Encode(),
		ARN: arn, State: state, Type: typ, StateDef: prettyJSON(string(raw)), Definition: prettyJSON(def),
		Action: testStateHref(arn, state, event), Mockable: typ == "Task" || typ == "Map" || typ == "Parallel",
		JSONata: isJSONata(def, raw), Rec: rec, VariableNames: slices.Sorted(maps.Keys(rec.Variables)),
		Levels: inspectionLevels, Validations: validationModes,
		Form: testForm{Input: "{}", Variables: variablesJSON(rec.Variables), Level: "DEBUG", Validation: "STRICT",
			Context: contextObject(ex, sm, state, rec.Visit)},
	}
	if rec.Visit != nil {
		p.Form.Input = prettyJSON(rec.Visit.Input)
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		form, err := readForm(r)
		p.Form = form
		if err != nil {
			p.Err = &testError{Code: "BadForm", Message: err.Error()}
			h.render(w, r, http.StatusBadRequest, "test-state", "page", p)
			return
		}
		out, err := h.cfg.StepFunctions.TestState(ctx, form.request(def, state, aws.ToString(sm.RoleArn)))
		if err != nil {
			status, p.Err = h.testAPIError(r, err)
		} else {
			p.Result = newTestResult(out)
		}
	}
	h.render(w, r, status, "test-state", "page", p)
}

// testAPIError is the page's status and text for an error of the TestState
// call: the API refusing the request (ValidationException,
// InvalidDefinition, ...) is the form's problem and shown with it; anything
// else (the endpoint down) is logged too.
func (h *Handler) testAPIError(r *http.Request, err error) (int, *testError) {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() != smithy.FaultServer {
		return http.StatusBadRequest, &testError{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	}
	h.cfg.Logger.ErrorContext(r.Context(), "console: test state", "err", err)
	if ae != nil {
		return http.StatusBadGateway, &testError{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	}
	return http.StatusBadGateway, &testError{Code: "TestState", Message: err.Error()}
}

// isJSONata tells whether a state evaluates JSONata: its own QueryLanguage,
// else its machine's.
func isJSONata(definition string, state json.RawMessage) bool {
	var ql struct{ QueryLanguage string }
	if json.Unmarshal(state, &ql) == nil && ql.QueryLanguage != "" {
		return ql.QueryLanguage == "JSONata"
	}
	ql.QueryLanguage = ""
	return json.Unmarshal([]byte(definition), &ql) == nil && ql.QueryLanguage == "JSONata"
}

// variablesJSON is the variables as one indented JSON object; a value that
// is not JSON (it always is, in a history) is kept as a string.
func variablesJSON(vars map[string]string) string {
	obj := make(map[string]json.RawMessage, len(vars))
	for k, v := range vars {
		if json.Valid([]byte(v)) {
			obj[k] = json.RawMessage(v)
			continue
		}
		b, _ := json.Marshal(v) // a string always encodes
		obj[k] = b
	}
	return plainJSON(obj)
}

// contextObject is the context object ($$ or $states.context) as far as the
// execution and the visit tell it: the execution, the state machine, the
// state's name and entry time.
func contextObject(ex *sfn.DescribeExecutionOutput, sm *sfn.DescribeStateMachineOutput, state string, v *visit) string {
	const ts = "2006-01-02T15:04:05.000Z"
	execution := map[string]any{"Id": aws.ToString(ex.ExecutionArn), "Name": aws.ToString(ex.Name),
		"StartTime": aws.ToTime(ex.StartDate).UTC().Format(ts), "RoleArn": aws.ToString(sm.RoleArn)}
	if in := aws.ToString(ex.Input); json.Valid([]byte(in)) {
		execution["Input"] = json.RawMessage(in)
	}
	st := map[string]any{"Name": state, "RetryCount": 0}
	obj := map[string]any{"Execution": execution, "StateMachine": map[string]any{"Id": aws.ToString(sm.StateMachineArn), "Name": aws.ToString(sm.Name)}, "State": st}
	// No Map field for a state in a Map iteration: AWS refuses one in a
	// mocked context object ("'Map' field is not supported").
	if v != nil {
		st["EnteredTime"] = v.Entered.UTC().Format(ts)
	}
	return plainJSON(obj)
}

// plainJSON indents a value; the values given here always encode.
func plainJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
