package apigw

import (
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Decision is what API Gateway (REST API) does with a Lambda authorizer's
// answer for one request. The local API Gateway applies it so that it
// answers as AWS does: 401 for "Unauthorized", 403 for a Deny or a policy
// that does not allow the method, 500 for a failed or malformed authorizer.
type Decision struct {
	// Allowed: the request goes on to the integration.
	Allowed bool
	// Status, ResponseType and Message describe the gateway response when
	// not Allowed ($context.error.responseType and $context.error.message).
	// AWS answers {"message": null} for an authorizer failure: Message is
	// then empty.
	Status       int
	ResponseType string
	Message      string
	// Context is $context.authorizer: principalId and the context values.
	Context map[string]any
}

// Gateway messages and response types of authorization failures.
const (
	MessageUnauthorized = "Unauthorized"
	MessageDenied       = "User is not authorized to access this resource with an explicit deny"
	MessageNotAllowed   = "User is not authorized to access this resource"
)

// Evaluate decides as API Gateway does for the authorizer's answer (resp,
// err) to a request for methodARN: an explicit Deny wins, otherwise an
// Allow whose action and resource patterns match is needed.
func Evaluate(resp events.APIGatewayCustomAuthorizerResponse, err error, methodARN string) Decision {
	switch {
	case err != nil && err.Error() == MessageUnauthorized:
		return Decision{Status: 401, ResponseType: "UNAUTHORIZED", Message: MessageUnauthorized}
	case err != nil:
		return Decision{Status: 500, ResponseType: "AUTHORIZER_FAILURE"}
	}
	if problem := malformed(resp); problem != "" {
		return Decision{Status: 500, ResponseType: "AUTHORIZER_CONFIGURATION_ERROR", Message: problem}
	}
	allowed := false
	for _, s := range resp.PolicyDocument.Statement {
		if !anyMatch(s.Action, "execute-api:Invoke", true) || !anyMatch(s.Resource, methodARN, false) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: MessageDenied}
		case "Allow":
			allowed = true
		}
	}
	if !allowed {
		return Decision{Status: 403, ResponseType: "ACCESS_DENIED", Message: MessageNotAllowed}
	}
	ctx := map[string]any{"principalId": resp.PrincipalID}
	for k, v := range resp.Context {
		ctx[k] = v
	}
	return Decision{Allowed: true, Context: ctx}
}

// malformed names what makes API Gateway refuse an authorizer's answer, or
// returns "".
func malformed(resp events.APIGatewayCustomAuthorizerResponse) string {
	if resp.PrincipalID == "" {
		return "the authorizer answered no principalId"
	}
	if len(resp.PolicyDocument.Statement) == 0 {
		return "the authorizer answered no policy statement"
	}
	for _, s := range resp.PolicyDocument.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return fmt.Sprintf("policy statement effect %q", s.Effect)
		}
	}
	for k, v := range resp.Context {
		switch v.(type) {
		case string, bool, float64, float32, int, int64, int32:
		default:
			return fmt.Sprintf("context value %q is a %T: only strings, numbers and booleans are allowed", k, v)
		}
	}
	return ""
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if glob(p, s) {
			return true
		}
	}
	return false
}

// glob matches IAM wildcards: * any run of characters, ? one character.
func glob(pattern, s string) bool {
	// Iterative matcher with backtracking to the last star: linear in
	// practice, no recursion on hostile patterns.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		// A star is always a wildcard, even facing a literal '*'.
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
