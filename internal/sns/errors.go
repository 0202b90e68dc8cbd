package sns

import (
	"errors"
	"fmt"
)

// Error is an SNS error as AWS names it: Code is the query protocol's code
// that the XML carries and SDKs report ("NotFound"), Exception the API
// reference's exception name ("NotFoundException"), which Step Functions'
// error names are made of.
type Error struct {
	code, exception string
	status          int
	sender          bool
	message         string
}

// Code is the error's query code, e.g. "NotFound".
func (e *Error) Code() string { return e.code }

// Exception is the API reference's exception name, e.g.
// "NotFoundException".
func (e *Error) Exception() string { return e.exception }

// Status is the HTTP status SNS answers the error with.
func (e *Error) Status() int { return e.status }

// Message is the error's human-readable text.
func (e *Error) Message() string { return e.message }

// Sender reports whether the caller is at fault (rather than the service).
func (e *Error) Sender() bool { return e.sender }

func (e *Error) Error() string { return e.code + ": " + e.message }

// The error codes the package returns, with their exception names and
// statuses from the SNS API reference.
const (
	CodeNotFound                     = "NotFound"
	CodeInvalidParameter             = "InvalidParameter"
	CodeInvalidParameterValue        = "ParameterValueInvalid"
	CodeEmptyBatchRequest            = "EmptyBatchRequest"
	CodeTooManyEntriesInBatchRequest = "TooManyEntriesInBatchRequest"
	CodeBatchEntryIdsNotDistinct     = "BatchEntryIdsNotDistinct"
	CodeInvalidBatchEntryID          = "InvalidBatchEntryId"
	CodeBatchRequestTooLong          = "BatchRequestTooLong"
	CodeInvalidAction                = "InvalidAction"
	CodeMissingAction                = "MissingAction"
	CodeInternalError                = "InternalError"
)

type errorKind struct {
	exception string
	status    int
}

var errorKinds = map[string]errorKind{
	CodeNotFound:                     {"NotFoundException", 404},
	CodeInvalidParameter:             {"InvalidParameterException", 400},
	CodeInvalidParameterValue:        {"InvalidParameterValueException", 400},
	CodeEmptyBatchRequest:            {"EmptyBatchRequestException", 400},
	CodeTooManyEntriesInBatchRequest: {"TooManyEntriesInBatchRequestException", 400},
	CodeBatchEntryIdsNotDistinct:     {"BatchEntryIdsNotDistinctException", 400},
	CodeInvalidBatchEntryID:          {"InvalidBatchEntryIdException", 400},
	CodeBatchRequestTooLong:          {"BatchRequestTooLongException", 400},
	CodeInvalidAction:                {"InvalidAction", 400},
	CodeMissingAction:                {"MissingAction", 400},
	CodeInternalError:                {"InternalErrorException", 500},
}

func errorf(code, format string, args ...any) *Error {
	k, ok := errorKinds[code]
	if !ok {
		k = errorKind{exception: code, status: 400}
	}
	return &Error{code: code, exception: k.exception, status: k.status, sender: k.status < 500, message: fmt.Sprintf(format, args...)}
}

// invalid is InvalidParameter with SNS's "Invalid parameter: " prefix.
func invalid(format string, args ...any) *Error {
	return errorf(CodeInvalidParameter, "Invalid parameter: "+format, args...)
}

// ErrorCode is the SNS error code of err (Error.Code), or "" when err
// carries none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return ""
}
