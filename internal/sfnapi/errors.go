package sfnapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// The error codes the protocol itself answers with; the engine's errors
// arrive as *sfn.APIError with their codes already set.
const (
	codeInvalidArn                   = "InvalidArn"
	codeStateMachineTypeNotSupported = "StateMachineTypeNotSupported"
	codeValidationException          = "ValidationException"
	codeUnknownOperation             = "UnknownOperationException"
	codeSerialization                = "SerializationException"
	codeInternalFailure              = "InternalFailure"
	codeInvalidToken                 = "InvalidToken"
)

// apiErrorf builds an *sfn.APIError with a formatted message.
func apiErrorf(code, format string, args ...any) *sfn.APIError {
	return &sfn.APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// httpStatus maps an error code to the HTTP status AWS answers with: every
// client error is 400, anything else is an internal failure.
func httpStatus(code string) int {
	switch code {
	case "", codeInternalFailure:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

// checkRoleARN refuses a roleArn that is not an IAM role ARN,
// arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>, as AWS
// does: InvalidArn "Invalid Role Arn: '<roleArn>'" (the answer AWS gave in
// aws/amazon-sagemaker-examples#2432). Whether the role exists and trusts
// Step Functions is not checked: locally no task runs under it. The
// engine's Go methods take any role, for in-process callers and tests;
// only this API checks it (see apiCreateStateMachine).
func checkRoleARN(s string) error {
	parts := strings.SplitN(s, ":", 6)
	ok := len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] == "iam" && parts[3] == "" &&
		isAccountID(parts[4]) && strings.HasPrefix(parts[5], "role/") && len(parts[5]) > len("role/") &&
		!strings.HasSuffix(parts[5], "/")
	if !ok {
		return apiErrorf(codeInvalidArn, "Invalid Role Arn: '%s'", s)
	}
	return nil
}

// isAccountID reports whether s is an AWS account id: 12 digits.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
