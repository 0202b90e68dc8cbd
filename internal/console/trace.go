package console

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// runStatus is what happened to a state in one execution.
type runStatus string

// The statuses a state can have; the CSS classes and the legend use them.
const (
	statusNotReached runStatus = "not-reached"
	statusRunning    runStatus = "running"
	statusSucceeded  runStatus = "succeeded"
	statusRetried    runStatus = "retried" // succeeded after one or more retries
	statusCaught     runStatus = "caught"  // failed, and a Catcher moved on
	statusFailed     runStatus = "failed"
	statusStopped    runStatus = "stopped" // still open when the execution closed (aborted, timed out, sibling branch failed)
)

// statusLabels gives every status an icon and a word, so colour is never the
// only signal.
var statusLabels = map[runStatus]struct{ Icon, Text string }{
	statusNotReached: {"○", "not reached"},
	statusRunning:    {"▶", "running"},
	statusSucceeded:  {"✓", "succeeded"},
	statusRetried:    {"↻", "retried"},
	statusCaught:     {"⤳", "caught"},
	statusFailed:     {"✕", "failed"},
	statusStopped:    {"■", "stopped"},
}

// legendOrder is the legend's order.
var legendOrder = []runStatus{statusSucceeded, statusRetried, statusCaught, statusFailed, statusRunning, statusStopped, statusNotReached}

// failure is one failed attempt of a state.
type failure struct {
	EventID      int64
	Type         string
	Error, Cause string
}

// stateRun is what happened to one state, over all its visits (a state in a
// Map runs once per item).
type stateRun struct {
	Name            string
	Status          runStatus
	Entered, Exited int
	Attempts        int // task attempts (scheduled) or Map/Parallel starts
	Retries         int
	Caught          int
	Input, Output   string // of the latest visit, JSON text
	Error, Cause    string // of the latest failure
	Failures        []failure
	// Call is the latest attempt's service call, for a Task with Task*
	// events (a service integration, or lambda:invoke) or an activity.
	Call taskCall

	open   bool // the latest failure has not been followed by an exit or a retry
	isFail bool
}

// taskCall is one service call of a Task: the integration, what was sent
// and what came back (JSON texts; "" when not yet there).
type taskCall struct {
	Resource  string // e.g. "dynamodb:putItem", "aws-sdk:s3:getObject", "activity:<name>"
	Request   string // TaskScheduled's parameters, ActivityScheduled's input
	Submitted string // TaskSubmitted's output (callback and .sync tasks)
	Response  string // TaskSucceeded's (ActivitySucceeded's) output
}

// eventRow is one history row as the AWS console shows it.
type eventRow struct {
	ID        int64
	Type      string
	Step      string
	ElapsedMS int64
	HasTime   bool
	Timestamp time.Time
	Summary   string
	Details   string // indented JSON of the event's details
	Failure   bool
}

// trace is the analysis of an execution's history.
type trace struct {
	States map[string]*stateRun
	Rows   []eventRow
}

// openCompound is an entered Map or Parallel state whose own events
// (…StateStarted, …StateFailed) carry no name and must be matched to it.
type openCompound struct {
	name     string
	kind     string // "Map" or "Parallel"
	awaiting bool   // entered or failed: its next Started event is a (re)start
}

// analyse derives each state's status from a history. Task events carry no
// state name: they are attributed through previousEventId to the state whose
// entry started their chain, as AWS numbers them. execStatus says whether
// states still open are running or were stopped.
func analyse(events []types.HistoryEvent, execStatus types.ExecutionStatus) *trace {
	a := &analyser{tr: &trace{States: map[string]*stateRun{}}, step: map[int64]string{}}
	for _, ev := range events {
		a.event(ev)
	}
	a.settle(execStatus)
	return a.tr
}

// analyser is the state of one pass over a history: what analyse knows so
// far when it reads the next event.
type analyser struct {
	tr *trace
	// step names the state each event was attributed to, by event id, so an
	// event can follow its previousEventId back to its state.
	step map[int64]string
	// stack is the Map and Parallel states entered and not yet exited,
	// innermost last.
	stack []openCompound
	start *time.Time // ExecutionStarted's time, for the elapsed column
	// lastErr and lastCause are the latest failure's: a state failed by
	// an event that carries no error of its own takes them.
	lastErr, lastCause string
}

// get is the state's run, created on first sight.
func (a *analyser) get(name string) *stateRun {
	r := a.tr.States[name]
	if r == nil {
		r = &stateRun{Name: name}
		a.tr.States[name] = r
	}
	return r
}

// find is the index of the innermost open compound of the kind that is (or
// is not) awaiting its Started event, or -1.
func (a *analyser) find(kind string, awaiting bool) int {
	for i := len(a.stack) - 1; i >= 0; i-- {
		if a.stack[i].kind == kind && a.stack[i].awaiting == awaiting {
			return i
		}
	}
	return -1
}

// event reads one history event: it attributes the event to a state,
// updates that state's run, and adds the event's row.
func (a *analyser) event(ev types.HistoryEvent) {
	typ := string(ev.Type)
	det := eventDetails(ev)
	name := ""
	errName, cause := det.str("Error"), det.str("Cause")
	isFailure := isFailureEvent(typ)
	if isFailure && (errName != "" || cause != "") {
		a.lastErr, a.lastCause = errName, cause
	}
	switch {
	case strings.HasSuffix(typ, "StateEntered"):
		name = a.stateEntered(ev, typ, det)
	case strings.HasSuffix(typ, "StateExited"):
		name = a.stateExited(det)
	case strings.HasPrefix(typ, "MapIteration"):
		name = a.mapIteration(typ, det)
	case strings.HasPrefix(typ, "MapState") || strings.HasPrefix(typ, "ParallelState"):
		name = a.compoundEvent(ev, typ)
	case typ == "EvaluationFailed":
		name = det.str("State")
		if r := a.tr.States[name]; r != nil {
			r.open = true
			r.Error, r.Cause = errName, cause
			r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ, Error: errName, Cause: cause})
		}
	case strings.HasPrefix(typ, "Execution"):
		a.executionEvent(ev, typ, isFailure, errName, cause)
	default:
		name = a.taskEvent(ev, typ, det, isFailure, errName, cause)
	}
	a.step[ev.Id] = name
	a.addRow(ev, typ, name, isFailure, det, errName, cause)
}

// stateEntered counts a visit. A Map or Parallel state is pushed on the
// stack, because its own events that follow carry no name.
func (a *analyser) stateEntered(ev types.HistoryEvent, typ string, det details) string {
	name := det.str("Name")
	r := a.get(name)
	r.Entered++
	r.Input = det.str("Input")
	r.open = false
	if typ == "FailStateEntered" {
		r.isFail = true
		r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ})
	}
	if kind := strings.TrimSuffix(typ, "StateEntered"); kind == "Map" || kind == "Parallel" {
		a.stack = append(a.stack, openCompound{name: name, kind: kind, awaiting: true})
	}
	return name
}

// stateExited counts an exit: a failure still open was caught. The state,
// and any compound opened inside it, leaves the stack.
func (a *analyser) stateExited(det details) string {
	name := det.str("Name")
	r := a.get(name)
	r.Exited++
	r.Output = det.str("Output")
	if r.open {
		r.Caught++
		r.open = false
	}
	for i := len(a.stack) - 1; i >= 0; i-- {
		if a.stack[i].name == name {
			a.stack = a.stack[:i]
			break
		}
	}
	return name
}

// mapIteration attributes an iteration event to its Map state.
func (a *analyser) mapIteration(typ string, det details) string {
	name := det.str("Name")
	// AWS may restart a Map after a failed iteration without a
	// MapStateFailed event: the failed iteration marks the Map.
	if r := a.tr.States[name]; r != nil && typ == "MapIterationFailed" {
		r.open = true
		r.Error, r.Cause = a.lastErr, a.lastCause
	}
	return name
}

// compoundEvent matches a Map or Parallel state's own event, which has no
// name, to the open compound it belongs to, and counts its starts (retries)
// and failures.
func (a *analyser) compoundEvent(ev types.HistoryEvent, typ string) string {
	kind := "Map"
	if strings.HasPrefix(typ, "Parallel") {
		kind = "Parallel"
	}
	event := strings.TrimPrefix(strings.TrimPrefix(typ, "MapState"), "ParallelState")
	var i int
	if event == "Started" {
		if i = a.find(kind, true); i < 0 {
			i = a.find(kind, false) // a restart after a failed iteration
		}
	} else if i = a.find(kind, false); i < 0 {
		i = a.find(kind, true) // failed before it started (an evaluation error)
	}
	if i < 0 {
		return ""
	}
	name := a.stack[i].name
	r := a.get(name)
	switch event {
	case "Started":
		a.stack[i].awaiting = false
		r.Attempts++
		if r.open {
			r.Retries++
			r.open = false
		}
	case "Failed", "Aborted":
		a.stack = a.stack[:i+1] // nested compounds inside it ended with it
		a.stack[i].awaiting = true
		r.open = true
		r.Error, r.Cause = a.lastErr, a.lastCause
		r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ, Error: a.lastErr, Cause: a.lastCause})
	case "Succeeded":
		a.stack = a.stack[:i+1]
	}
	return name
}

// executionEvent notes the start time, and charges a failure the service
// raised to the state it stopped. The event itself belongs to no state.
func (a *analyser) executionEvent(ev types.HistoryEvent, typ string, isFailure bool, errName, cause string) {
	if ev.Timestamp != nil && typ == "ExecutionStarted" {
		a.start = ev.Timestamp
	}
	// A failure raised by the service (an evaluation error, a
	// timeout) follows the event of the state it stopped.
	if r := a.tr.States[a.step[ev.PreviousEventId]]; isFailure && typ != "ExecutionAborted" && r != nil && r.Entered > r.Exited && !r.open && !r.isFail {
		r.open = true
		r.Error, r.Cause = errName, cause
		r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ, Error: errName, Cause: cause})
	}
}

// taskEvent attributes a Task, Lambda or activity event to the state that
// started its chain, and counts its attempts, retries and failures.
func (a *analyser) taskEvent(ev types.HistoryEvent, typ string, det details, isFailure bool, errName, cause string) string {
	name := a.step[ev.PreviousEventId]
	if name == "" {
		return ""
	}
	r := a.get(name)
	switch typ {
	case "TaskScheduled":
		r.Call = taskCall{Resource: det.str("ResourceType") + ":" + det.str("Resource"), Request: det.str("Parameters")}
	case "TaskSubmitted":
		r.Call.Submitted = det.str("Output")
	case "TaskSucceeded":
		r.Call.Response = det.str("Output")
	case "ActivityScheduled":
		// The worker's task: what GetActivityTask handed it, and what it sent back.
		r.Call = taskCall{Resource: "activity:" + det.str("Resource")[strings.LastIndex(det.str("Resource"), ":")+1:], Request: det.str("Input")}
	case "ActivitySucceeded":
		r.Call.Response = det.str("Output")
	}
	if strings.HasSuffix(typ, "Scheduled") {
		r.Attempts++
		if r.open {
			r.Retries++
			r.open = false
		}
	}
	if isFailure {
		r.open = true
		r.Error, r.Cause = errName, cause
		r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ, Error: errName, Cause: cause})
	}
	return name
}

// addRow adds the event's row to the history table.
func (a *analyser) addRow(ev types.HistoryEvent, typ, name string, isFailure bool, det details, errName, cause string) {
	row := eventRow{ID: ev.Id, Type: typ, Step: name, Failure: isFailure, Details: det.json()}
	if ev.Timestamp != nil {
		row.Timestamp = *ev.Timestamp
		if a.start != nil {
			row.HasTime = true
			row.ElapsedMS = ev.Timestamp.Sub(*a.start).Milliseconds()
		}
	}
	row.Summary = summary(det, errName, cause)
	a.tr.Rows = append(a.tr.Rows, row)
}

// settle gives each state its status once the whole history is read: only
// then is it known which failures were caught or retried and which states
// are still open.
func (a *analyser) settle(execStatus types.ExecutionStatus) {
	running := execStatus == types.ExecutionStatusRunning || execStatus == ""
	for _, r := range a.tr.States {
		switch {
		case r.isFail:
			r.Status = statusFailed
			if r.Error == "" {
				r.Error, r.Cause = a.lastErr, a.lastCause
			}
		case r.Entered > r.Exited && r.open:
			r.Status = statusFailed
		case r.Entered > r.Exited && running:
			r.Status = statusRunning
		case r.Entered > r.Exited:
			r.Status = statusStopped
		case r.Caught > 0:
			r.Status = statusCaught
		case r.Retries > 0:
			r.Status = statusRetried
		case r.Entered > 0:
			r.Status = statusSucceeded
		default:
			r.Status = statusNotReached
		}
	}
}

// isFailureEvent tells the event types that record a failure.
func isFailureEvent(typ string) bool {
	for _, s := range []string{"Failed", "TimedOut", "Aborted"} {
		if strings.HasSuffix(typ, s) {
			return !strings.HasPrefix(typ, "MapIteration")
		}
	}
	return false
}

// details is the non-nil *EventDetails member of a history event, as a map
// with AWS's lowerCamel keys. JSON texts (input, output, parameters) are
// decoded so they print as nested JSON.
type details map[string]any

func eventDetails(ev types.HistoryEvent) details {
	v := reflect.ValueOf(ev)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !strings.HasSuffix(f.Name, "EventDetails") || v.Field(i).Kind() != reflect.Pointer || v.Field(i).IsNil() {
			continue
		}
		out := details{}
		for k, val := range toPlain(v.Field(i).Elem()) {
			out[k] = val
		}
		return out
	}
	return nil
}

// toPlain turns an SDK struct into a map with lowerCamel keys, nil fields dropped.
func toPlain(v reflect.Value) map[string]any {
	out := map[string]any{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		for fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				break
			}
			fv = fv.Elem()
		}
		if fv.Kind() == reflect.Pointer || (fv.Kind() == reflect.Map && fv.IsNil()) {
			continue
		}
		key := lowerFirst(f.Name)
		switch fv.Kind() {
		case reflect.Struct:
			out[key] = toPlain(fv)
		default:
			out[key] = fv.Interface()
		}
	}
	return out
}

func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}

// str reads a string member by its SDK field name ("Error", "Input").
func (d details) str(field string) string {
	s, _ := d[lowerFirst(field)].(string)
	return s
}

// json renders the details indented, JSON texts expanded.
func (d details) json() string {
	if len(d) == 0 {
		return ""
	}
	expanded := make(map[string]any, len(d))
	for k, v := range d {
		if s, ok := v.(string); ok && (k == "input" || k == "output" || k == "parameters") && json.Valid([]byte(s)) {
			v = json.RawMessage(s)
		}
		expanded[k] = v
	}
	b, err := json.Marshal(expanded)
	if err != nil {
		return ""
	}
	return prettyJSON(string(b))
}

// prettyJSON indents a JSON text; anything else is returned as it is.
func prettyJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// summary is the one-line text of a history row.
func summary(d details, errName, cause string) string {
	switch {
	case errName != "" && cause != "":
		return errName + ": " + oneLine(cause, 120)
	case errName != "":
		return errName
	case d.str("Resource") != "":
		return d.str("Resource")
	}
	return ""
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
