package sfn

import (
	"math"
	"reflect"
	"time"
)

// entry is how an execution keeps one history event. Event, the API's
// shape, is about 280 bytes of mostly pointers with a detail struct or two
// behind them; recording it was a seventh of a no-op execution's time and
// its pointers a good part of the collector's. An entry holds the common
// events (a state entered or exited, a Lambda function scheduled, started
// or succeeded, the execution started or succeeded) in a few words, and any
// other event whole; expand builds the Event when the history is read.
//
// An entry is 64 bytes, where it was 88 with the type as a string and the
// timeout as an int64: a finished execution keeps its history, so this is
// most of what it weighs (19 entries for the project's machine).
type entry struct {
	ts   int64 // Timestamp, Unix nanoseconds
	prev int64 // PreviousEventID
	// name is what the event is about: the state's name (kindEntered,
	// kindExited), the Lambda function's resource (kindLambdaSched) or the
	// execution's role ARN (kindExecStarted); empty for the other kinds.
	name string
	// payload is the JSON text the event carries: the input of
	// kindEntered, kindLambdaSched and kindExecStarted, the output of
	// kindExited, kindLambdaOK and kindExecSucceeded; empty for the others.
	payload string
	full    *Event // kindFull
	// timeoutSeconds is a kindLambdaSched entry's TimeoutInSeconds, 0 when
	// the task has none; unused by the other kinds. A timeout beyond int32
	// makes a kindFull entry instead (see lambdaScheduledEntry).
	timeoutSeconds int32
	typ            eventCode // the event type, but for kindFull (full.Type)
	kind           entryKind
}

// eventCode is an event type as its index in eventCodeTypes: one byte in an
// entry where an EventType takes two words.
type eventCode uint8

// The event types the short entry kinds have. Any other type is kept in a
// kindFull entry, whose Event names it.
const (
	evNone eventCode = iota // kindFull: the type is full.Type
	evExecutionStarted
	evExecutionSucceeded
	evLambdaFunctionScheduled
	evLambdaFunctionStarted
	evLambdaFunctionSucceeded
	evTaskStateEntered
	evTaskStateExited
	evPassStateEntered
	evPassStateExited
	evChoiceStateEntered
	evChoiceStateExited
	evWaitStateEntered
	evWaitStateExited
	evSucceedStateEntered
	evSucceedStateExited
	evFailStateEntered
	evFailStateExited
	evParallelStateEntered
	evParallelStateExited
	evMapStateEntered
	evMapStateExited
	evParallelStateStarted
	evParallelStateSucceeded
	evMapStateSucceeded
	numEventCodes
)

// eventCodeTypes is the type of each eventCode.
var eventCodeTypes = [numEventCodes]EventType{
	evExecutionStarted:        "ExecutionStarted",
	evExecutionSucceeded:      "ExecutionSucceeded",
	evLambdaFunctionScheduled: "LambdaFunctionScheduled",
	evLambdaFunctionStarted:   "LambdaFunctionStarted",
	evLambdaFunctionSucceeded: "LambdaFunctionSucceeded",
	evTaskStateEntered:        "TaskStateEntered",
	evTaskStateExited:         "TaskStateExited",
	evPassStateEntered:        "PassStateEntered",
	evPassStateExited:         "PassStateExited",
	evChoiceStateEntered:      "ChoiceStateEntered",
	evChoiceStateExited:       "ChoiceStateExited",
	evWaitStateEntered:        "WaitStateEntered",
	evWaitStateExited:         "WaitStateExited",
	evSucceedStateEntered:     "SucceedStateEntered",
	evSucceedStateExited:      "SucceedStateExited",
	evFailStateEntered:        "FailStateEntered",
	evFailStateExited:         "FailStateExited",
	evParallelStateEntered:    "ParallelStateEntered",
	evParallelStateExited:     "ParallelStateExited",
	evMapStateEntered:         "MapStateEntered",
	evMapStateExited:          "MapStateExited",
	evParallelStateStarted:    "ParallelStateStarted",
	evParallelStateSucceeded:  "ParallelStateSucceeded",
	evMapStateSucceeded:       "MapStateSucceeded",
}

// eventCodeOf returns t's code, or evNone when eventCodeTypes lacks it.
func eventCodeOf(t EventType) eventCode {
	for c := evNone + 1; c < numEventCodes; c++ {
		if eventCodeTypes[c] == t {
			return c
		}
	}
	return evNone
}

// withType returns en, a short entry, with type t: coded when eventCodeTypes
// has t, else made a kindFull entry of the same event.
func (en entry) withType(t EventType) entry {
	if en.typ = eventCodeOf(t); en.typ != evNone {
		return en
	}
	ev := en.expandAs(0, t)
	return entry{ts: en.ts, prev: en.prev, kind: kindFull, full: &ev}
}

// entryKind tells which of an entry's fields carry what: name, payload and
// timeoutSeconds as the comment beside each kind says, full only for
// kindFull.
type entryKind uint8

const (
	kindFull             entryKind = iota // full: the whole Event
	kindPlain                             // no details
	kindEntered                           // name: state name, payload: input
	kindExited                            // name: state name, payload: output (no assigned variables)
	kindLambdaSched                       // name: resource, payload: input, timeoutSeconds (0: none)
	kindLambdaOK                          // payload: output
	kindExecStarted                       // name: role ARN, payload: input
	kindExecSucceeded                     // payload: output
	kindExecSucceededNil                  // ExecutionSucceeded without an output
)

// expand returns the entry as the id'th Event of its history.
func (en *entry) expand(id int64) Event {
	if en.kind == kindFull {
		ev := *en.full
		ev.ID, ev.PreviousEventID, ev.Timestamp = id, en.prev, time.Unix(0, en.ts)
		return ev
	}
	return en.expandAs(id, eventCodeTypes[en.typ])
}

// expandAs is expand of a short entry with type t.
func (en *entry) expandAs(id int64, t EventType) Event {
	ev := Event{ID: id, PreviousEventID: en.prev, Timestamp: time.Unix(0, en.ts), Type: t}
	switch en.kind {
	case kindEntered:
		ev.StateEnteredEventDetails = &StateEnteredDetails{Name: en.name, Input: strp(en.payload), InputDetails: notTruncated}
	case kindExited:
		ev.StateExitedEventDetails = &StateExitedDetails{Name: en.name, Output: strp(en.payload), OutputDetails: notTruncated}
	case kindLambdaSched:
		d := &LambdaScheduledDetails{Resource: en.name, Input: strp(en.payload), InputDetails: notTruncated}
		if en.timeoutSeconds > 0 {
			secs := int64(en.timeoutSeconds)
			d.TimeoutInSeconds = &secs
		}
		ev.LambdaFunctionScheduledEventDetails = d
	case kindLambdaOK:
		ev.LambdaFunctionSucceededEventDetails = &OutputDetails{Output: strp(en.payload), OutputDetails: notTruncated}
	case kindExecStarted:
		ev.ExecutionStartedEventDetails = &ExecutionStartedDetails{Input: strp(en.payload), InputDetails: notTruncated, RoleARN: en.name}
	case kindExecSucceeded:
		ev.ExecutionSucceededEventDetails = &OutputDetails{Output: strp(en.payload), OutputDetails: notTruncated}
	case kindExecSucceededNil:
		ev.ExecutionSucceededEventDetails = &OutputDetails{OutputDetails: notTruncated}
	}
	return ev
}

// compact returns ev as an entry: in one of the short kinds when expand
// gives ev back exactly, whole otherwise. Histories read back from the
// journal go through it.
func compact(ev Event) entry {
	en := entry{ts: ev.Timestamp.UnixNano(), prev: ev.PreviousEventID, typ: eventCodeOf(ev.Type)}
	switch n := ev.detailCount(); {
	case en.typ == evNone:
	case n == 0:
		en.kind = kindPlain
		return en
	case n > 1:
	case ev.StateEnteredEventDetails != nil:
		if d := ev.StateEnteredEventDetails; d.Input != nil && d.InputDetails != nil && !d.InputDetails.Truncated {
			en.kind, en.name, en.payload = kindEntered, d.Name, *d.Input
			return en
		}
	case ev.StateExitedEventDetails != nil:
		if d := ev.StateExitedEventDetails; d.Output != nil && d.OutputDetails != nil && !d.OutputDetails.Truncated &&
			d.AssignedVariables == nil && d.AssignedVariablesDetails == nil {
			en.kind, en.name, en.payload = kindExited, d.Name, *d.Output
			return en
		}
	case ev.LambdaFunctionScheduledEventDetails != nil:
		d := ev.LambdaFunctionScheduledEventDetails
		if d.Input != nil && d.InputDetails != nil && !d.InputDetails.Truncated &&
			(d.TimeoutInSeconds == nil || (*d.TimeoutInSeconds > 0 && *d.TimeoutInSeconds <= math.MaxInt32)) {
			en.kind, en.name, en.payload = kindLambdaSched, d.Resource, *d.Input
			if d.TimeoutInSeconds != nil {
				en.timeoutSeconds = int32(*d.TimeoutInSeconds)
			}
			return en
		}
	case ev.LambdaFunctionSucceededEventDetails != nil:
		if d := ev.LambdaFunctionSucceededEventDetails; d.Output != nil && d.OutputDetails != nil && !d.OutputDetails.Truncated {
			en.kind, en.payload = kindLambdaOK, *d.Output
			return en
		}
	case ev.ExecutionStartedEventDetails != nil:
		if d := ev.ExecutionStartedEventDetails; d.Input != nil && d.InputDetails != nil && !d.InputDetails.Truncated {
			en.kind, en.name, en.payload = kindExecStarted, d.RoleARN, *d.Input
			return en
		}
	case ev.ExecutionSucceededEventDetails != nil:
		if d := ev.ExecutionSucceededEventDetails; d.OutputDetails != nil && !d.OutputDetails.Truncated {
			if d.Output == nil {
				en.kind = kindExecSucceededNil
			} else {
				en.kind, en.payload = kindExecSucceeded, *d.Output
			}
			return en
		}
	}
	return entry{ts: en.ts, prev: en.prev, kind: kindFull, full: &ev}
}

// lambdaScheduledEntry is the entry of LambdaFunctionScheduled; timeout 0
// is none.
func lambdaScheduledEntry(resource, payload string, timeout int64) entry {
	en := entry{typ: evLambdaFunctionScheduled, kind: kindLambdaSched, name: resource, payload: payload}
	if timeout > math.MaxInt32 {
		ev := en.expandAs(0, eventCodeTypes[en.typ])
		secs := timeout
		ev.LambdaFunctionScheduledEventDetails.TimeoutInSeconds = &secs
		return entry{kind: kindFull, full: &ev}
	}
	en.timeoutSeconds = int32(timeout)
	return en
}

// detailCount counts ev's detail structs: its non-nil pointer fields
// (reflection keeps it right as Event grows; only histories read back
// from the journal pay for it).
func (ev *Event) detailCount() int {
	v := reflect.ValueOf(ev).Elem()
	n := 0
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			n++
		}
	}
	return n
}

// history returns the execution's events in the API's shape; ex.mu is held.
func (ex *execution) history() []Event {
	out := make([]Event, len(ex.events))
	for i := range ex.events {
		out[i] = ex.events[i].expand(int64(i) + 1)
	}
	return out
}
