package asl

import (
	"fmt"
	"strings"
)

// The predefined error names of Step Functions.
const (
	ErrAll                             = "States.ALL"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrTimeout                         = "States.Timeout"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrPermissions                     = "States.Permissions"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrParameterPathFailure            = "States.ParameterPathFailure"
	ErrQueryEvaluationError            = "States.QueryEvaluationError"
	ErrBranchFailed                    = "States.BranchFailed"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrIntrinsicFailure                = "States.IntrinsicFailure"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrRuntime                         = "States.Runtime"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
)

// Error is a runtime failure with a Step Functions error name and cause, as
// it appears in history events and is matched by Retry and Catch.
type Error struct {
	Name  string
	Cause string
	// Location is the field a JSONata evaluation failed in (e.g.
	// Output/result), for the EvaluationFailed event; empty otherwise.
	Location string
}

// Error renders "Name: Cause" for logs; history events use Name and Cause separately.
func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

func newError(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// StateCausePrefix is the text AWS puts before the cause of errors raised by
// the service itself while executing a state (States.Runtime and friends).
func StateCausePrefix(state string, enteredEventID int64) string {
	return fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). ", state, enteredEventID)
}

// Diagnostic codes of definition validation, as AWS reports them.
const (
	CodeSchemaValidationFailed  = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTransitionTarget = "MISSING_TRANSITION_TARGET"
	CodeMissingEndState         = "MISSING_END_STATE"
	CodeInvalidJSON             = "INVALID_JSON_DESCRIPTION"
	// CodeInvalidJSONataExpression is a JSONata expression that does not parse.
	CodeInvalidJSONataExpression = "INVALID_JSONATA_EXPRESSION"
	// CodeUnsupportedJSONataExpression is an expression that reads a
	// field of the root context, which Step Functions does not give.
	CodeUnsupportedJSONataExpression = "UNSUPPORTED_JSONATA_EXPRESSION"
)

// Problem is one validation diagnostic.
type Problem struct {
	Code     string // e.g. SCHEMA_VALIDATION_FAILED
	Message  string // without the location
	Location string // e.g. /States/Track/Next or /States/P/Branches[0]/States/A; "/" for the root; "" when AWS gives none (null)
}

// String renders the diagnostic as it appears inside AWS's InvalidDefinition message.
func (p Problem) String() string {
	loc := p.Location
	if loc == "" {
		loc = "null" // AWS prints a missing location as null
	}
	return p.Code + ": " + p.Message + " at " + loc
}

// DefinitionError is an invalid definition. Its message is AWS's
// InvalidDefinition message; the API maps it to the InvalidDefinition error.
type DefinitionError struct {
	Problems []Problem
}

// Error is AWS's InvalidDefinition message listing every problem.
func (e *DefinitionError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}
