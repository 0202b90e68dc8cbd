package sfn

import (
	"encoding/json"
	"time"
)

// maxHistoryEvents is AWS's cap on one execution's history; the execution
// fails with States.Runtime when it would be exceeded.
const maxHistoryEvents = 25000

// EventType is a history event type, e.g. "PassStateEntered".
type EventType string

// Event is one history event, shaped like the SDK's types.HistoryEvent JSON.
type Event struct {
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`
	Timestamp       time.Time `json:"-"`
	Type            EventType `json:"type"`

	ExecutionStartedEventDetails   *ExecutionStartedDetails `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceededEventDetails *OutputDetails           `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailedEventDetails    *FailureDetails          `json:"executionFailedEventDetails,omitempty"`
	ExecutionAbortedEventDetails   *FailureDetails          `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOutEventDetails  *FailureDetails          `json:"executionTimedOutEventDetails,omitempty"`
	StateEnteredEventDetails       *StateEnteredDetails     `json:"stateEnteredEventDetails,omitempty"`
	StateExitedEventDetails        *StateExitedDetails      `json:"stateExitedEventDetails,omitempty"`
	EvaluationFailedEventDetails   *EvaluationFailedDetails `json:"evaluationFailedEventDetails,omitempty"`

	LambdaFunctionScheduledEventDetails      *LambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceededEventDetails      *OutputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailedEventDetails         *FailureDetails         `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOutEventDetails       *FailureDetails         `json:"lambdaFunctionTimedOutEventDetails,omitempty"`
	LambdaFunctionScheduleFailedEventDetails *FailureDetails         `json:"lambdaFunctionScheduleFailedEventDetails,omitempty"`
	LambdaFunctionStartFailedEventDetails    *FailureDetails         `json:"lambdaFunctionStartFailedEventDetails,omitempty"`

	TaskScheduledEventDetails *TaskScheduledDetails `json:"taskScheduledEventDetails,omitempty"`
	TaskStartedEventDetails   *TaskDetails          `json:"taskStartedEventDetails,omitempty"`
	TaskSucceededEventDetails *TaskOutputDetails    `json:"taskSucceededEventDetails,omitempty"`
	TaskFailedEventDetails    *TaskFailureDetails   `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOutEventDetails  *TaskFailureDetails   `json:"taskTimedOutEventDetails,omitempty"`
	TaskSubmittedEventDetails *TaskOutputDetails    `json:"taskSubmittedEventDetails,omitempty"`

	ActivityScheduledEventDetails      *ActivityScheduledDetails `json:"activityScheduledEventDetails,omitempty"`
	ActivityScheduleFailedEventDetails *FailureDetails           `json:"activityScheduleFailedEventDetails,omitempty"`
	ActivityStartedEventDetails        *ActivityStartedDetails   `json:"activityStartedEventDetails,omitempty"`
	ActivitySucceededEventDetails      *OutputDetails            `json:"activitySucceededEventDetails,omitempty"`
	ActivityFailedEventDetails         *FailureDetails           `json:"activityFailedEventDetails,omitempty"`
	ActivityTimedOutEventDetails       *FailureDetails           `json:"activityTimedOutEventDetails,omitempty"`

	MapStateStartedEventDetails       *MapStateStartedDetails `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStartedEventDetails   *MapIterationDetails    `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceededEventDetails *MapIterationDetails    `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailedEventDetails    *MapIterationDetails    `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAbortedEventDetails   *MapIterationDetails    `json:"mapIterationAbortedEventDetails,omitempty"`
	MapRunStartedEventDetails         *MapRunStartedDetails   `json:"mapRunStartedEventDetails,omitempty"`
	MapRunFailedEventDetails          *FailureDetails         `json:"mapRunFailedEventDetails,omitempty"`
}

// MapRunStartedDetails are the details of MapRunStarted (distributed Map).
type MapRunStartedDetails struct {
	MapRunARN string `json:"mapRunArn"`
}

// MarshalJSON adds the timestamp as epoch seconds, as AWS JSON 1.0 encodes it.
func (ev Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		Timestamp EpochSeconds `json:"timestamp"`
	}{plain(ev), EpochSeconds(ev.Timestamp)})
}

// Details tells whether a payload was truncated (never: this engine keeps
// whole payloads up to the 256 KiB limit).
type Details struct {
	Truncated bool `json:"truncated"`
}

// ExecutionStartedDetails are the details of ExecutionStarted.
type ExecutionStartedDetails struct {
	Input        *string  `json:"input,omitempty"`
	InputDetails *Details `json:"inputDetails,omitempty"`
	RoleARN      string   `json:"roleArn,omitempty"`
}

// OutputDetails carries an output (ExecutionSucceeded, LambdaFunctionSucceeded).
type OutputDetails struct {
	Output        *string  `json:"output,omitempty"`
	OutputDetails *Details `json:"outputDetails,omitempty"`
}

// FailureDetails carries an error and a cause.
type FailureDetails struct {
	Error *string `json:"error,omitempty"`
	Cause *string `json:"cause,omitempty"`
}

// EvaluationFailedDetails are the details of EvaluationFailed.
type EvaluationFailedDetails struct {
	Error    *string `json:"error,omitempty"`
	Cause    *string `json:"cause,omitempty"`
	Location *string `json:"location,omitempty"`
	State    string  `json:"state"`
}

// StateEnteredDetails are the details of every <Type>StateEntered event.
type StateEnteredDetails struct {
	Name         string   `json:"name"`
	Input        *string  `json:"input,omitempty"`
	InputDetails *Details `json:"inputDetails,omitempty"`
}

// StateExitedDetails are the details of every <Type>StateExited event.
type StateExitedDetails struct {
	Name                     string            `json:"name"`
	Output                   *string           `json:"output,omitempty"`
	OutputDetails            *Details          `json:"outputDetails,omitempty"`
	AssignedVariables        map[string]string `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *Details          `json:"assignedVariablesDetails,omitempty"`
}

// LambdaScheduledDetails are the details of LambdaFunctionScheduled.
type LambdaScheduledDetails struct {
	Resource         string   `json:"resource"`
	Input            *string  `json:"input,omitempty"`
	InputDetails     *Details `json:"inputDetails,omitempty"`
	TimeoutInSeconds *int64   `json:"timeoutInSeconds,omitempty"`
}

// TaskScheduledDetails are the details of TaskScheduled (service integrations).
type TaskScheduledDetails struct {
	Resource         string  `json:"resource"`
	ResourceType     string  `json:"resourceType"`
	Region           string  `json:"region"`
	Parameters       *string `json:"parameters,omitempty"`
	TimeoutInSeconds *int64  `json:"timeoutInSeconds,omitempty"`
	HeartbeatSeconds *int64  `json:"heartbeatInSeconds,omitempty"`
}

// TaskDetails names a service integration (TaskStarted).
type TaskDetails struct {
	Resource     string `json:"resource"`
	ResourceType string `json:"resourceType"`
}

// TaskOutputDetails are the details of TaskSucceeded.
type TaskOutputDetails struct {
	Resource      string   `json:"resource"`
	ResourceType  string   `json:"resourceType"`
	Output        *string  `json:"output,omitempty"`
	OutputDetails *Details `json:"outputDetails,omitempty"`
}

// TaskFailureDetails are the details of TaskFailed and TaskTimedOut.
type TaskFailureDetails struct {
	Resource     string  `json:"resource"`
	ResourceType string  `json:"resourceType"`
	Error        *string `json:"error,omitempty"`
	Cause        *string `json:"cause,omitempty"`
}

// ActivityScheduledDetails are the details of ActivityScheduled.
type ActivityScheduledDetails struct {
	Resource           string   `json:"resource"`
	Input              *string  `json:"input,omitempty"`
	InputDetails       *Details `json:"inputDetails,omitempty"`
	TimeoutInSeconds   *int64   `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds *int64   `json:"heartbeatInSeconds,omitempty"`
}

// ActivityStartedDetails are the details of ActivityStarted.
type ActivityStartedDetails struct {
	WorkerName *string `json:"workerName,omitempty"`
}

// MapStateStartedDetails are the details of MapStateStarted.
type MapStateStartedDetails struct {
	Length int `json:"length"`
}

// MapIterationDetails are the details of the MapIteration* events.
type MapIterationDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// EpochSeconds encodes a time as fractional epoch seconds, as AWS JSON 1.0
// does: history events here, and internal/sfnapi's responses, which share it
// so both encode dates alike. The zero time encodes as null.
type EpochSeconds time.Time

// MarshalJSON implements json.Marshaler.
func (t EpochSeconds) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(float64(tt.UnixMilli()) / 1000)
}

// strp returns a pointer to s (event details use pointers for optional fields).
func strp(s string) *string { return &s }

// notTruncated is shared by every event: payloads are never truncated.
var notTruncated = &Details{}

// WithoutData returns a copy of ev with inputs, outputs and parameters
// removed, for GetExecutionHistory with includeExecutionData=false: which
// fields are data depends on the event types, so it lives with them.
func (ev Event) WithoutData() Event {
	if d := ev.ExecutionStartedEventDetails; d != nil {
		c := *d
		c.Input, c.InputDetails = nil, nil
		ev.ExecutionStartedEventDetails = &c
	}
	if d := ev.ExecutionSucceededEventDetails; d != nil {
		ev.ExecutionSucceededEventDetails = &OutputDetails{}
	}
	if d := ev.StateEnteredEventDetails; d != nil {
		ev.StateEnteredEventDetails = &StateEnteredDetails{Name: d.Name}
	}
	if d := ev.StateExitedEventDetails; d != nil {
		ev.StateExitedEventDetails = &StateExitedDetails{Name: d.Name}
	}
	if d := ev.LambdaFunctionScheduledEventDetails; d != nil {
		c := *d
		c.Input, c.InputDetails = nil, nil
		ev.LambdaFunctionScheduledEventDetails = &c
	}
	if d := ev.LambdaFunctionSucceededEventDetails; d != nil {
		ev.LambdaFunctionSucceededEventDetails = &OutputDetails{}
	}
	if d := ev.TaskScheduledEventDetails; d != nil {
		c := *d
		c.Parameters = nil
		ev.TaskScheduledEventDetails = &c
	}
	if d := ev.ActivityScheduledEventDetails; d != nil {
		c := *d
		c.Input, c.InputDetails = nil, nil
		ev.ActivityScheduledEventDetails = &c
	}
	if d := ev.ActivitySucceededEventDetails; d != nil {
		ev.ActivitySucceededEventDetails = &OutputDetails{}
	}
	if d := ev.TaskSucceededEventDetails; d != nil {
		ev.TaskSucceededEventDetails = &TaskOutputDetails{Resource: d.Resource, ResourceType: d.ResourceType}
	}
	return ev
}
