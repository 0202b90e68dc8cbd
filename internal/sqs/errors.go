package sqs

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an SQS error as AWS names it. Code is the JSON protocol's error
// shape name ("QueueDoesNotExist"), which SDK error types are named for;
// QueryCode is the query protocol's code that SQS also sends, in the
// x-amzn-query-error header ("AWS.SimpleQueueService.NonExistentQueue"),
// which SDKs report as the error code.
type Error struct {
	code      string
	queryCode string
	status    int
	sender    bool
	message   string
}

// Code is the error's shape name, e.g. "QueueDoesNotExist".
func (e *Error) Code() string { return e.code }

// QueryCode is the query protocol's code, e.g.
// "AWS.SimpleQueueService.NonExistentQueue".
func (e *Error) QueryCode() string { return e.queryCode }

// Status is the HTTP status SQS answers the error with.
func (e *Error) Status() int { return e.status }

// Message is the error's human-readable text.
func (e *Error) Message() string { return e.message }

// Sender reports whether the caller is at fault (the query protocol's
// Sender fault) rather than the service (Receiver).
func (e *Error) Sender() bool { return e.sender }

func (e *Error) Error() string { return e.code + ": " + e.message }

// The error codes the package returns, named as the SQS API reference and
// the SDK's model name them; each with its query code and status (the
// model's awsQueryError traits).
const (
	CodeQueueDoesNotExist            = "QueueDoesNotExist"
	CodeQueueNameExists              = "QueueNameExists"
	CodeQueueDeletedRecently         = "QueueDeletedRecently"
	CodePurgeQueueInProgress         = "PurgeQueueInProgress"
	CodeReceiptHandleIsInvalid       = "ReceiptHandleIsInvalid"
	CodeMessageNotInflight           = "MessageNotInflight"
	CodeInvalidAttributeName         = "InvalidAttributeName"
	CodeInvalidAttributeValue        = "InvalidAttributeValue"
	CodeInvalidMessageContents       = "InvalidMessageContents"
	CodeEmptyBatchRequest            = "EmptyBatchRequest"
	CodeTooManyEntriesInBatchRequest = "TooManyEntriesInBatchRequest"
	CodeBatchEntryIdsNotDistinct     = "BatchEntryIdsNotDistinct"
	CodeInvalidBatchEntryID          = "InvalidBatchEntryId"
	CodeBatchRequestTooLong          = "BatchRequestTooLong"
	CodeUnsupportedOperation         = "UnsupportedOperation"
	CodeInvalidAddress               = "InvalidAddress"
	CodeInvalidParameterValue        = "InvalidParameterValueException"
	CodeMissingParameter             = "MissingRequiredParameterException"
	CodeUnknownOperation             = "UnknownOperationException"
	CodeSerialization                = "SerializationException"
	CodeInternalError                = "InternalFailure"
)

type errorKind struct {
	queryCode string
	status    int
	receiver  bool
}

var errorKinds = map[string]errorKind{
	CodeQueueDoesNotExist:            {"AWS.SimpleQueueService.NonExistentQueue", 400, false},
	CodeQueueNameExists:              {"QueueAlreadyExists", 400, false},
	CodeQueueDeletedRecently:         {"AWS.SimpleQueueService.QueueDeletedRecently", 400, false},
	CodePurgeQueueInProgress:         {"AWS.SimpleQueueService.PurgeQueueInProgress", 403, false},
	CodeReceiptHandleIsInvalid:       {"ReceiptHandleIsInvalid", 404, false},
	CodeMessageNotInflight:           {"AWS.SimpleQueueService.MessageNotInflight", 400, false},
	CodeInvalidAttributeName:         {"InvalidAttributeName", 400, false},
	CodeInvalidAttributeValue:        {"InvalidAttributeValue", 400, false},
	CodeInvalidMessageContents:       {"InvalidMessageContents", 400, false},
	CodeEmptyBatchRequest:            {"AWS.SimpleQueueService.EmptyBatchRequest", 400, false},
	CodeTooManyEntriesInBatchRequest: {"AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, false},
	CodeBatchEntryIdsNotDistinct:     {"AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, false},
	CodeInvalidBatchEntryID:          {"AWS.SimpleQueueService.InvalidBatchEntryId", 400, false},
	CodeBatchRequestTooLong:          {"AWS.SimpleQueueService.BatchRequestTooLong", 400, false},
	CodeUnsupportedOperation:         {"AWS.SimpleQueueService.UnsupportedOperation", 400, false},
	CodeInvalidAddress:               {"InvalidAddress", 404, false},
	CodeInvalidParameterValue:        {"InvalidParameterValue", 400, false},
	CodeMissingParameter:             {"MissingParameter", 400, false},
	CodeUnknownOperation:             {"InvalidAction", 400, false},
	CodeSerialization:                {"MalformedInput", 400, false},
	CodeInternalError:                {"InternalFailure", 500, true},
}

func errorf(code, format string, args ...any) *Error {
	k, ok := errorKinds[code]
	if !ok {
		k = errorKind{queryCode: code, status: http.StatusBadRequest}
	}
	return &Error{code: code, queryCode: k.queryCode, status: k.status, sender: !k.receiver, message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the SQS error code of err (Error.Code), or "" when err
// carries none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return ""
}

func errNoQueue() *Error {
	return errorf(CodeQueueDoesNotExist, "The specified queue does not exist.")
}

func errInvalidValue(name, value, reason string) *Error {
	return errorf(CodeInvalidParameterValue, "Value %s for parameter %s is invalid. Reason: %s", value, name, reason)
}

func errMissing(name string) *Error {
	return errorf(CodeMissingParameter, "The request must contain the parameter %s.", name)
}
