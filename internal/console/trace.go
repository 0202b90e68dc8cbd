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

	open   bool // the latest failure has not been followed by an exit or a retry
	isFail bool
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
	tr := &trace{States: map[string]*stateRun{}}
	step := map[int64]string{}
	var stack []openCompound
	var start *time.Time
	lastErr, lastCause := "", ""
	get := func(name string) *stateRun {
		r := tr.States[name]
		if r == nil {
			r = &stateRun{Name: name}
			tr.States[name] = r
		}
		return r
	}
	find := func(kind string, awaiting bool) int {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].kind == kind && stack[i].awaiting == awaiting {
				return i
			}
		}
		return -1
	}
	for _, ev := range events {
		typ := string(ev.Type)
		det := eventDetails(ev)
		name := ""
		errName, cause := det.str("Error"), det.str("Cause")
		isFailure := isFailureEvent(typ)
		if isFailure && (errName != "" || cause != "") {
			lastErr, lastCause = errName, cause
		}
		switch {
		case strings.HasSuffix(typ, "StateEntered"):
			name = det.str("Name")
			r := get(name)
			r.Entered++
			r.Input = det.str("Input")
			r.open = false
			if typ == "FailStateEntered" {
				r.isFail = true
				r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ})
			}
			if kind := strings.TrimSuffix(typ, "StateEntered"); kind == "Map" || kind == "Parallel" {
				stack = append(stack, openCompound{name: name, kind: kind, awaiting: true})
			}
		case strings.HasSuffix(typ, "StateExited"):
			name = det.str("Name")
			r := get(name)
			r.Exited++
			r.Output = det.str("Output")
			if r.open {
				r.Caught++
				r.open = false
			}
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].name == name {
					stack = stack[:i]
					break
				}
			}
		case strings.HasPrefix(typ, "MapIteration"):
			name = det.str("Name")
			// AWS may restart a Map after a failed iteration without a
			// MapStateFailed event: the failed iteration marks the Map.
			if r := tr.States[name]; r != nil && typ == "MapIterationFailed" {
				r.open = true
				r.Error, r.Cause = lastErr, lastCause
			}
		case strings.HasPrefix(typ, "MapState") || strings.HasPrefix(typ, "ParallelState"):
			kind := "Map"
			if strings.HasPrefix(typ, "Parallel") {
				kind = "Parallel"
			}
			event := strings.TrimPrefix(strings.TrimPrefix(typ, "MapState"), "ParallelState")
			var i int
			if event == "Started" {
				if i = find(kind, true); i < 0 {
					i = find(kind, false) // a restart after a failed iteration
				}
			} else if i = find(kind, false); i < 0 {
				i = find(kind, true) // failed before it started (an evaluation error)
			}
			if i < 0 {
				break
			}
			name = stack[i].name
			r := get(name)
			switch event {
			case "Started":
				stack[i].awaiting = false
				r.Attempts++
				if r.open {
					r.Retries++
					r.open = false
				}
			case "Failed", "Aborted":
				stack = stack[:i+1] // nested compounds inside it ended with it
				stack[i].awaiting = true
				r.open = true
				r.Error, r.Cause = lastErr, lastCause
				r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ, Error: lastErr, Cause: lastCause})
			case "Succeeded":
				stack = stack[:i+1]
			}
		case typ == "EvaluationFailed":
			name = det.str("State")
			if r := tr.States[name]; r != nil {
				r.open = true
				r.Error, r.Cause = errName, cause
				r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ, Error: errName, Cause: cause})
			}
		case strings.HasPrefix(typ, "Execution"):
			if ev.Timestamp != nil && typ == "ExecutionStarted" {
				start = ev.Timestamp
			}
			// A failure raised by the service (an evaluation error, a
			// timeout) follows the event of the state it stopped.
			if r := tr.States[step[ev.PreviousEventId]]; isFailure && typ != "ExecutionAborted" && r != nil && r.Entered > r.Exited && !r.open && !r.isFail {
				r.open = true
				r.Error, r.Cause = errName, cause
				r.Failures = append(r.Failures, failure{EventID: ev.Id, Type: typ, Error: errName, Cause: cause})
			}
		default:
			// Task, Lambda and activity events: the state that started the chain.
			name = step[ev.PreviousEventId]
			if name == "" {
				break
			}
			r := get(name)
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
		}
		step[ev.Id] = name
		row := eventRow{ID: ev.Id, Type: typ, Step: name, Failure: isFailure, Details: det.json()}
		if ev.Timestamp != nil {
			row.Timestamp = *ev.Timestamp
			if start != nil {
				row.HasTime = true
				row.ElapsedMS = ev.Timestamp.Sub(*start).Milliseconds()
			}
		}
		row.Summary = summary(det, errName, cause)
		tr.Rows = append(tr.Rows, row)
	}
	running := execStatus == types.ExecutionStatusRunning || execStatus == ""
	for _, r := range tr.States {
		switch {
		case r.isFail:
			r.Status = statusFailed
			if r.Error == "" {
				r.Error, r.Cause = lastErr, lastCause
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
	return tr
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
