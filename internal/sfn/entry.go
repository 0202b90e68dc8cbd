package sfn

import (
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
type entry struct {
	ts   int64 // Timestamp, Unix nanoseconds
	prev int64 // PreviousEventID
	typ  EventType
	kind entryKind
	// name is what the event is about: the state's name (kindEntered,
	// kindExited), the Lambda function's resource (kindLambdaSched) or the
	// execution's role ARN (kindExecStarted); empty for the other kinds.
	name string
	// payload is the JSON text the event carries: the input of
	// kindEntered, kindLambdaSched and kindExecStarted, the output of
	// kindExited, kindLambdaOK and kindExecSucceeded; empty for the others.
	payload string
	// timeoutSeconds is a kindLambdaSched entry's TimeoutInSeconds, 0 when
	// the task has none; unused by the other kinds.
	timeoutSeconds int64
	full           *Event // kindFull
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
	ev := Event{ID: id, PreviousEventID: en.prev, Timestamp: time.Unix(0, en.ts), Type: en.typ}
	switch en.kind {
	case kindEntered:
		ev.StateEnteredEventDetails = &StateEnteredDetails{Name: en.name, Input: strp(en.payload), InputDetails: notTruncated}
	case kindExited:
		ev.StateExitedEventDetails = &StateExitedDetails{Name: en.name, Output: strp(en.payload), OutputDetails: notTruncated}
	case kindLambdaSched:
		d := &LambdaScheduledDetails{Resource: en.name, Input: strp(en.payload), InputDetails: notTruncated}
		if en.timeoutSeconds > 0 {
			secs := en.timeoutSeconds
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
	en := entry{ts: ev.Timestamp.UnixNano(), prev: ev.PreviousEventID, typ: ev.Type}
	switch n := ev.detailCount(); {
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
		if d.Input != nil && d.InputDetails != nil && !d.InputDetails.Truncated && (d.TimeoutInSeconds == nil || *d.TimeoutInSeconds > 0) {
			en.kind, en.name, en.payload = kindLambdaSched, d.Resource, *d.Input
			if d.TimeoutInSeconds != nil {
				en.timeoutSeconds = *d.TimeoutInSeconds
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
	en.kind = kindFull
	en.full = &ev
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
