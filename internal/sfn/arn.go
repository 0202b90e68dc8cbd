package sfn

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ARN kinds the API accepts.
const (
	resourceStateMachine = "stateMachine"
	resourceExecution    = "execution"
)

// parsedARN is a Step Functions ARN split into its parts.
type parsedARN struct {
	Partition, Region, Account string
	Resource                   string // stateMachine or execution
	StateMachine               string // state machine name
	Execution                  string // execution name (execution ARNs only)
}

// parseARN splits a Step Functions ARN, reporting AWS's InvalidArn messages.
// want is the resource type the operation expects.
func parseARN(s, want string) (parsedARN, error) {
	if !strings.HasPrefix(s, "arn:") {
		return parsedARN{}, apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid ARN prefix: %s'", s)
	}
	var buf [arnParts]string
	parts := splitARN(&buf, s)
	if len(parts) < 7 || parts[1] == "" {
		return parsedARN{}, apiErrorf(codeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", s)
	}
	if parts[2] != "states" {
		return parsedARN{}, apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid service: %s'", s)
	}
	p := parsedARN{Partition: parts[1], Region: parts[3], Account: parts[4], Resource: parts[5], StateMachine: parts[6]}
	switch {
	case p.Resource != want:
		return parsedARN{}, apiErrorf(codeInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", p.Resource)
	case want == resourceStateMachine && len(parts) != 7:
		// A version or alias qualifier: this engine has no versions.
		return parsedARN{}, apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid ARN: %s'", s)
	case want == resourceExecution && len(parts) != 8:
		return parsedARN{}, apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid ARN: %s'", s)
	}
	if want == resourceExecution {
		p.Execution = parts[7]
	}
	if p.StateMachine == "" || (want == resourceExecution && p.Execution == "") {
		return parsedARN{}, apiErrorf(codeInvalidArn, "Invalid Arn: 'Invalid ARN: %s'", s)
	}
	return p, nil
}

// arnParts is the most parts parseARN splits an ARN into: an execution
// ARN's; the last keeps any further colon.
const arnParts = 8

// splitARN is strings.SplitN(s, ":", arnParts) into buf: every API call
// naming an execution or a state machine parses its ARN, and the slice
// SplitN allocates was one of StartExecution's allocations.
func splitARN(buf *[arnParts]string, s string) []string {
	n := 0
	for n < arnParts-1 {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			break
		}
		buf[n], s = s[:i], s[i+1:]
		n++
	}
	buf[n] = s
	return buf[:n+1]
}

// stateMachineARN builds arn:<partition>:states:<region>:<account>:stateMachine:<name>.
func (e *Engine) stateMachineARN(name string) string {
	return "arn:" + e.cfg.Partition + ":states:" + e.cfg.Region + ":" + e.cfg.AccountID + ":stateMachine:" + name
}

// executionARN builds ...:execution:<state machine name>:<execution name>.
func (e *Engine) executionARN(smName, name string) string {
	return "arn:" + e.cfg.Partition + ":states:" + e.cfg.Region + ":" + e.cfg.AccountID + ":execution:" + smName + ":" + name
}

// validName applies AWS's rules for state machine and execution names: 1 to
// 80 characters, none of whitespace, brackets, wildcards, the special
// characters " # % \ ^ | ~ ` $ & , ; : / and no control characters.
func validName(name string) error {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 80 {
		return apiErrorf(codeInvalidName, "Invalid Name: '%s'", name)
	}
	for _, r := range name {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) ||
			r == '\u00a0' || r == '\u2028' || r == '\u2029' || r == '\u3000' || (r >= '\u2000' && r <= '\u200a') {
			return apiErrorf(codeInvalidName, "Invalid Name: '%s'", name)
		}
	}
	return nil
}

// apiErrorf builds an *APIError with a formatted message.
func apiErrorf(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}
