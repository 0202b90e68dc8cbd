package sfn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Handler returns the Step Functions API as an http.Handler speaking AWS
// JSON 1.0: POST, Content-Type application/x-amz-json-1.0, the operation in
// X-Amz-Target ("AWSStepFunctions.StartExecution"), errors as
// {"__type": code, "message": text} with AWS's HTTP status codes.
// Request signatures are accepted without checking, as other local
// emulators do: this is a loopback development service, not a security
// boundary. Point an SDK client's BaseEndpoint at it with any credentials.
func (e *Engine) Handler() http.Handler {
	return http.HandlerFunc(e.serveHTTP)
}

const targetPrefix = "AWSStepFunctions."

// maxRequestBody bounds request bodies: a 256 KiB input, JSON-escaped, fits.
const maxRequestBody = 4 << 20

type apiOp func(ctx context.Context, body []byte) (any, error)

func (e *Engine) operations() map[string]apiOp {
	return map[string]apiOp{
		"CreateStateMachine":               e.apiCreateStateMachine,
		"DescribeStateMachine":             e.apiDescribeStateMachine,
		"ListStateMachines":                e.apiListStateMachines,
		"DeleteStateMachine":               e.apiDeleteStateMachine,
		"StartExecution":                   e.apiStartExecution,
		"StartSyncExecution":               e.apiStartSyncExecution,
		"DescribeExecution":                e.apiDescribeExecution,
		"DescribeStateMachineForExecution": e.apiDescribeStateMachineForExecution,
		"StopExecution":                    e.apiStopExecution,
		"ListExecutions":                   e.apiListExecutions,
		"GetExecutionHistory":              e.apiGetExecutionHistory,
		"ValidateStateMachineDefinition":   e.apiValidateStateMachineDefinition,
		"UpdateStateMachine":               e.apiUpdateStateMachine,
		"SendTaskSuccess":                  e.apiSendTaskSuccess,
		"SendTaskFailure":                  e.apiSendTaskFailure,
		"SendTaskHeartbeat":                e.apiSendTaskHeartbeat,
	}
}

func (e *Engine) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeError(w, apiErrorf(codeUnknownOperation, "Step Functions accepts POST requests only"))
		return
	}
	action, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), targetPrefix)
	op := e.operations()[action]
	if !ok || op == nil {
		writeError(w, apiErrorf(codeUnknownOperation, "Unknown operation %s", req.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		writeError(w, apiErrorf(codeSerialization, "request body too large or unreadable"))
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	defer func() {
		if r := recover(); r != nil {
			e.cfg.Logger.Error("sfn api panicked", "action", action, "panic", r)
			writeError(w, &APIError{Code: codeInternalFailure, Message: "internal failure"})
		}
	}()
	out, err := op(req.Context(), body)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			e.cfg.Logger.Error("sfn api", "action", action, "err", err)
			ae = &APIError{Code: codeInternalFailure, Message: "internal failure"}
		}
		writeError(w, ae)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, ae *APIError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	w.WriteHeader(httpStatus(ae.Code))
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.Code, "message": ae.Message})
}

// decode reads a request body strictly enough to report bad JSON.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return apiErrorf(codeSerialization, "could not parse the request: %s", err)
	}
	return nil
}

// definitionText accepts the definition as a string (the API) or, for
// convenience, as a JSON object.
type definitionText string

func (d *definitionText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*d = definitionText(s)
		return nil
	}
	*d = definitionText(b)
	return nil
}

func (e *Engine) apiCreateStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name       *string        `json:"name"`
		Definition definitionText `json:"definition"`
		RoleArn    *string        `json:"roleArn"`
		Type       string         `json:"type"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil || in.RoleArn == nil || in.Definition == "" {
		return nil, apiErrorf(codeValidationException, "1 validation error detected: name, definition and roleArn are required")
	}
	if *in.RoleArn == "" {
		return nil, apiErrorf(codeValidationException,
			"1 validation error detected: Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := checkRoleARN(*in.RoleArn); err != nil {
		return nil, err
	}
	info, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: *in.Name, Definition: string(in.Definition), RoleARN: *in.RoleArn, Type: in.Type})
	if err != nil {
		return nil, err
	}
	return map[string]any{"stateMachineArn": info.ARN, "creationDate": EpochSeconds(info.CreationDate)}, nil
}

func smDescription(info StateMachineInfo) map[string]any {
	return map[string]any{
		"stateMachineArn": info.ARN, "name": info.Name, "status": "ACTIVE", "definition": info.Definition,
		"roleArn": info.RoleARN, "type": info.Type, "creationDate": EpochSeconds(info.CreationDate),
		"loggingConfiguration": map[string]any{"level": "OFF", "includeExecutionData": false},
		"tracingConfiguration": map[string]any{"enabled": false},
	}
}

func (e *Engine) apiDescribeStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := e.DescribeStateMachine(ctx, in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return smDescription(info), nil
}

func (e *Engine) apiListStateMachines(ctx context.Context, body []byte) (any, error) {
	var in pageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	all := e.ListStateMachines(ctx)
	start, end, next, err := in.page(len(all), "stateMachines")
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, 0, end-start)
	for _, sm := range all[start:end] {
		list = append(list, map[string]any{"stateMachineArn": sm.ARN, "name": sm.Name, "type": sm.Type, "creationDate": EpochSeconds(sm.CreationDate)})
	}
	out := map[string]any{"stateMachines": list}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (e *Engine) apiUpdateStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string         `json:"stateMachineArn"`
		Definition      definitionText `json:"definition"`
		RoleArn         string         `json:"roleArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.RoleArn != "" { // "" leaves the role as it is
		if err := checkRoleARN(in.RoleArn); err != nil {
			return nil, err
		}
	}
	at, err := e.UpdateStateMachine(ctx, in.StateMachineArn, string(in.Definition), in.RoleArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updateDate": EpochSeconds(at)}, nil
}

func (e *Engine) apiDeleteStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return map[string]any{}, e.DeleteStateMachine(ctx, in.StateMachineArn)
}

type startInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
}

func (in startInput) input() string {
	if in.Input == nil {
		return "{}"
	}
	return *in.Input
}

func (e *Engine) apiStartExecution(ctx context.Context, body []byte) (any, error) {
	var in startInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := e.StartExecution(ctx, in.StateMachineArn, in.Name, in.input())
	if err != nil {
		return nil, err
	}
	return map[string]any{"executionArn": info.ExecutionARN, "startDate": EpochSeconds(info.StartDate)}, nil
}

func (e *Engine) apiStartSyncExecution(ctx context.Context, body []byte) (any, error) {
	var in startInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := e.stateMachine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if sm.typ != "EXPRESS" {
		return nil, apiErrorf(codeStateMachineTypeNotSupported, "This operation is not supported by this type of state machine")
	}
	info, err := e.StartExecution(ctx, in.StateMachineArn, in.Name, in.input())
	if err != nil {
		return nil, err
	}
	info, err = e.Wait(ctx, info.ExecutionARN)
	if err != nil {
		return nil, fmt.Errorf("start sync execution: %w", err)
	}
	out := map[string]any{
		"executionArn": info.ExecutionARN, "stateMachineArn": info.StateMachineARN, "name": info.Name,
		"startDate": EpochSeconds(info.StartDate), "stopDate": EpochSeconds(info.StopDate), "status": info.Status,
		"input": info.Input, "inputDetails": map[string]any{"included": true},
	}
	addResult(out, info)
	return out, nil
}

func addResult(out map[string]any, info ExecutionInfo) {
	if info.Output != nil {
		out["output"] = *info.Output
		out["outputDetails"] = map[string]any{"included": true}
	}
	if info.Error != nil {
		out["error"] = *info.Error
	}
	if info.Cause != nil {
		out["cause"] = *info.Cause
	}
}

type executionInput struct {
	ExecutionArn string `json:"executionArn"`
}

func (e *Engine) apiDescribeExecution(ctx context.Context, body []byte) (any, error) {
	var in executionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := e.DescribeExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"executionArn": info.ExecutionARN, "stateMachineArn": info.StateMachineARN, "name": info.Name,
		"status": info.Status, "startDate": EpochSeconds(info.StartDate),
		"input": info.Input, "inputDetails": map[string]any{"included": true},
		"redriveCount": info.RedriveCount, "redriveStatus": info.RedriveStatus,
	}
	if info.RedriveReason != "" {
		out["redriveStatusReason"] = info.RedriveReason
	}
	if !info.StopDate.IsZero() {
		out["stopDate"] = EpochSeconds(info.StopDate)
	}
	addResult(out, info)
	return out, nil
}

func (e *Engine) apiDescribeStateMachineForExecution(ctx context.Context, body []byte) (any, error) {
	var in executionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := e.DescribeStateMachineForExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := smDescription(info)
	delete(out, "status")
	delete(out, "type")
	delete(out, "creationDate")
	out["updateDate"] = EpochSeconds(info.CreationDate)
	return out, nil
}

func (e *Engine) apiStopExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string  `json:"executionArn"`
		Error        *string `json:"error"`
		Cause        *string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	stop, err := e.StopExecution(ctx, in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stopDate": EpochSeconds(stop)}, nil
}

var executionStatuses = map[string]bool{
	StatusSucceeded: true, StatusTimedOut: true, "PENDING_REDRIVE": true, StatusAborted: true, StatusFailed: true, StatusRunning: true,
}

func (e *Engine) apiListExecutions(ctx context.Context, body []byte) (any, error) {
	var in struct {
		pageInput
		StateMachineArn string  `json:"stateMachineArn"`
		StatusFilter    *string `json:"statusFilter"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	status := ""
	if in.StatusFilter != nil {
		status = *in.StatusFilter
		if !executionStatuses[status] {
			return nil, apiErrorf(codeValidationException,
				"1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", status)
		}
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	all, err := e.ListExecutions(ctx, in.StateMachineArn, status)
	if err != nil {
		return nil, err
	}
	start, end, next, err := in.page(len(all), in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, 0, end-start)
	for _, x := range all[start:end] {
		item := map[string]any{
			"executionArn": x.ExecutionARN, "stateMachineArn": x.StateMachineARN, "name": x.Name,
			"status": x.Status, "startDate": EpochSeconds(x.StartDate), "redriveCount": x.RedriveCount,
		}
		if !x.StopDate.IsZero() {
			item["stopDate"] = EpochSeconds(x.StopDate)
		}
		list = append(list, item)
	}
	out := map[string]any{"executions": list}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (e *Engine) apiGetExecutionHistory(ctx context.Context, body []byte) (any, error) {
	var in struct {
		pageInput
		ExecutionArn         string `json:"executionArn"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	events, err := e.History(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	start, end, next, err := in.page(len(events), in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	page := events[start:end]
	if in.IncludeExecutionData != nil && !*in.IncludeExecutionData {
		for i := range page {
			page[i] = page[i].WithoutData()
		}
	}
	out := map[string]any{"events": page}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (e *Engine) apiValidateStateMachineDefinition(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Definition *string `json:"definition"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, apiErrorf(codeValidationException, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	result, diags := e.ValidateStateMachineDefinition(ctx, *in.Definition)
	return map[string]any{"result": result, "diagnostics": diags, "truncated": false}, nil
}

// pageInput holds the paging parameters of List* and GetExecutionHistory.
type pageInput struct {
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

// validate applies AWS's constraints on maxResults and nextToken.
func (p pageInput) validate() error {
	if p.MaxResults != nil && (*p.MaxResults > 1000 || *p.MaxResults < 0) {
		bound := "less than or equal to 1000"
		if *p.MaxResults < 0 {
			bound = "greater than or equal to 0"
		}
		return apiErrorf(codeValidationException,
			"1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value %s", *p.MaxResults, bound)
	}
	if p.NextToken != nil {
		switch n := len(*p.NextToken); {
		case n > 3096:
			return apiErrorf(codeValidationException,
				"1 validation error detected: Value '%s' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096", *p.NextToken)
		case n < 1:
			return apiErrorf(codeValidationException,
				"1 validation error detected: Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
	}
	return nil
}

// page returns the slice bounds for this request and the next token. Tokens
// encode the offset and what is being listed, so a token cannot be replayed
// against another list.
func (p pageInput) page(total int, scope string) (start, end int, next string, err error) {
	if err := p.validate(); err != nil {
		return 0, 0, "", err
	}
	size := 100
	if p.MaxResults != nil && *p.MaxResults > 0 {
		size = *p.MaxResults
	}
	if p.NextToken != nil {
		raw, derr := base64.RawURLEncoding.DecodeString(*p.NextToken)
		off, scopeOK := strings.CutSuffix(string(raw), "|"+scope)
		n, aerr := strconv.Atoi(off)
		if derr != nil || !scopeOK || aerr != nil || n < 0 || n > total {
			return 0, 0, "", apiErrorf(codeInvalidToken, "Invalid Token: '%s'", *p.NextToken)
		}
		start = n
	}
	end = min(start+size, total)
	if end < total {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end) + "|" + scope))
	}
	return start, end, next, nil
}

// The EpochSeconds type is shared with history events.
var _ json.Marshaler = EpochSeconds(time.Time{})
