package sfn

import "errors"

// Error codes of the Step Functions API the engine's operations answer
// with, as the "__type" of an error response (internal/sfnapi adds the
// protocol's own).
const (
	codeInvalidArn                = "InvalidArn"
	codeInvalidName               = "InvalidName"
	codeInvalidDefinition         = "InvalidDefinition"
	codeInvalidExecutionInput     = "InvalidExecutionInput"
	codeExecutionDoesNotExist     = "ExecutionDoesNotExist"
	codeExecutionAlreadyExists    = "ExecutionAlreadyExists"
	codeStateMachineDoesNotExist  = "StateMachineDoesNotExist"
	codeStateMachineAlreadyExists = "StateMachineAlreadyExists"
	codeStateMachineDeleting      = "StateMachineDeleting"
	codeValidationException       = "ValidationException"
	codeInternalFailure           = "InternalFailure"
	codeInvalidToken              = "InvalidToken"
	codeInvalidOutput             = "InvalidOutput"
	codeTaskDoesNotExist          = "TaskDoesNotExist"
)

// APIError is an error the Step Functions API reports to its caller, with
// AWS's error code (for example "ExecutionDoesNotExist") and message.
type APIError struct {
	Code    string
	Message string
}

// Error implements error.
func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// ErrorCode returns the API error code of err, or "" when err is not an *APIError.
func ErrorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
