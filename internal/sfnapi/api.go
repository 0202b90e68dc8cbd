package sfnapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Handler returns the Step Functions API of eng as an http.Handler
// speaking AWS JSON 1.0: POST, Content-Type application/x-amz-json-1.0, the
// operation in X-Amz-Target ("AWSStepFunctions.StartExecution"), errors as
// {"__type": code, "message": text} with AWS's HTTP status codes.
// Request signatures are accepted without checking, as other local
// emulators do: this is a loopback development service, not a security
// boundary. Point an SDK client's BaseEndpoint at it with any credentials.
func Handler(eng *sfn.Engine) http.Handler {
	return &server{e: eng, log: eng.Logger()}
}

// server decodes requests into calls of the engine's public operations and
// encodes their results.
type server struct {
	e   *sfn.Engine
	log *slog.Logger
}

const targetPrefix = "AWSStepFunctions."

// maxRequestBody bounds request bodies: a 256 KiB input, JSON-escaped, fits.
const maxRequestBody = 4 << 20

type apiOp func(ctx context.Context, body []byte) (any, error)

func (s *server) operations() map[string]apiOp {
	return map[string]apiOp{
		"CreateStateMachine":               s.apiCreateStateMachine,
		"DescribeStateMachine":             s.apiDescribeStateMachine,
		"ListStateMachines":                s.apiListStateMachines,
		"DeleteStateMachine":               s.apiDeleteStateMachine,
		"StartExecution":                   s.apiStartExecution,
		"StartSyncExecution":               s.apiStartSyncExecution,
		"DescribeExecution":                s.apiDescribeExecution,
		"DescribeStateMachineForExecution": s.apiDescribeStateMachineForExecution,
		"StopExecution":                    s.apiStopExecution,
		"ListExecutions":                   s.apiListExecutions,
		"GetExecutionHistory":              s.apiGetExecutionHistory,
		"ValidateStateMachineDefinition":   s.apiValidateStateMachineDefinition,
		"UpdateStateMachine":               s.apiUpdateStateMachine,
		"SendTaskSuccess":                  s.apiSendTaskSuccess,
		"SendTaskFailure":                  s.apiSendTaskFailure,
		"SendTaskHeartbeat":                s.apiSendTaskHeartbeat,
		"CreateActivity":                   s.apiCreateActivity,
		"DescribeActivity":                 s.apiDescribeActivity,
		"ListActivities":                   s.apiListActivities,
		"DeleteActivity":                   s.apiDeleteActivity,
		"GetActivityTask":                  s.apiGetActivityTask,
		"TestState":                        s.apiTestState,
	}
}

// ServeHTTP implements http.Handler.
func (s *server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeError(w, apiErrorf(codeUnknownOperation, "Step Functions accepts POST requests only"))
		return
	}
	action, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), targetPrefix)
	op := s.operations()[action]
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
			s.log.Error("sfn api panicked", "action", action, "panic", r)
			writeError(w, &sfn.APIError{Code: codeInternalFailure, Message: "internal failure"})
		}
	}()
	out, err := op(req.Context(), body)
	if err != nil {
		var ae *sfn.APIError
		if !errors.As(err, &ae) {
			s.log.Error("sfn api", "action", action, "err", err)
			ae = &sfn.APIError{Code: codeInternalFailure, Message: "internal failure"}
		}
		writeError(w, ae)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, ae *sfn.APIError) {
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

func (s *server) apiCreateStateMachine(ctx context.Context, body []byte) (any, error) {
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
	info, err := s.e.CreateStateMachine(ctx, sfn.CreateStateMachineInput{Name: *in.Name, Definition: string(in.Definition), RoleARN: *in.RoleArn, Type: in.Type})
	if err != nil {
		return nil, err
	}
	return map[string]any{"stateMachineArn": info.ARN, "creationDate": sfn.EpochSeconds(info.CreationDate)}, nil
}

func smDescription(info sfn.StateMachineInfo) map[string]any {
	return map[string]any{
		"stateMachineArn": info.ARN, "name": info.Name, "status": "ACTIVE", "definition": info.Definition,
		"roleArn": info.RoleARN, "type": info.Type, "creationDate": sfn.EpochSeconds(info.CreationDate),
		"loggingConfiguration": map[string]any{"level": "OFF", "includeExecutionData": false},
		"tracingConfiguration": map[string]any{"enabled": false},
	}
}

func (s *server) apiDescribeStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := s.e.DescribeStateMachine(ctx, in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return smDescription(info), nil
}

func (s *server) apiListStateMachines(ctx context.Context, body []byte) (any, error) {
	var in pageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return listPage(in, s.e.ListStateMachines(ctx), "stateMachines", func(sm sfn.StateMachineInfo) map[string]any {
		return map[string]any{"stateMachineArn": sm.ARN, "name": sm.Name, "type": sm.Type, "creationDate": sfn.EpochSeconds(sm.CreationDate)}
	})
}

// listPage answers a List* operation: the page of all that in asks for,
// each item encoded by item, under key (which also scopes the tokens),
// with nextToken when more follow.
func listPage[T any](in pageInput, all []T, key string, item func(T) map[string]any) (any, error) {
	start, end, next, err := in.page(len(all), key)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, 0, end-start)
	for _, v := range all[start:end] {
		list = append(list, item(v))
	}
	out := map[string]any{key: list}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (s *server) apiUpdateStateMachine(ctx context.Context, body []byte) (any, error) {
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
	at, err := s.e.UpdateStateMachine(ctx, in.StateMachineArn, string(in.Definition), in.RoleArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updateDate": sfn.EpochSeconds(at)}, nil
}

func (s *server) apiDeleteStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return map[string]any{}, s.e.DeleteStateMachine(ctx, in.StateMachineArn)
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

func (s *server) apiStartExecution(ctx context.Context, body []byte) (any, error) {
	var in startInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := s.e.StartExecution(ctx, in.StateMachineArn, in.Name, in.input())
	if err != nil {
		return nil, err
	}
	return map[string]any{"executionArn": info.ExecutionARN, "startDate": sfn.EpochSeconds(info.StartDate)}, nil
}

func (s *server) apiStartSyncExecution(ctx context.Context, body []byte) (any, error) {
	var in startInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := s.e.DescribeStateMachine(ctx, in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if sm.Type != "EXPRESS" {
		return nil, apiErrorf(codeStateMachineTypeNotSupported, "This operation is not supported by this type of state machine")
	}
	info, err := s.e.StartExecution(ctx, in.StateMachineArn, in.Name, in.input())
	if err != nil {
		return nil, err
	}
	info, err = s.e.Wait(ctx, info.ExecutionARN)
	if err != nil {
		return nil, fmt.Errorf("start sync execution: %w", err)
	}
	out := map[string]any{
		"executionArn": info.ExecutionARN, "stateMachineArn": info.StateMachineARN, "name": info.Name,
		"startDate": sfn.EpochSeconds(info.StartDate), "stopDate": sfn.EpochSeconds(info.StopDate), "status": info.Status,
		"input": info.Input, "inputDetails": map[string]any{"included": true},
	}
	addResult(out, info)
	return out, nil
}

func addResult(out map[string]any, info sfn.ExecutionInfo) {
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

func (s *server) apiDescribeExecution(ctx context.Context, body []byte) (any, error) {
	var in executionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := s.e.DescribeExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"executionArn": info.ExecutionARN, "stateMachineArn": info.StateMachineARN, "name": info.Name,
		"status": info.Status, "startDate": sfn.EpochSeconds(info.StartDate),
		"input": info.Input, "inputDetails": map[string]any{"included": true},
		"redriveCount": info.RedriveCount, "redriveStatus": info.RedriveStatus,
	}
	if info.RedriveReason != "" {
		out["redriveStatusReason"] = info.RedriveReason
	}
	if !info.StopDate.IsZero() {
		out["stopDate"] = sfn.EpochSeconds(info.StopDate)
	}
	addResult(out, info)
	return out, nil
}

func (s *server) apiDescribeStateMachineForExecution(ctx context.Context, body []byte) (any, error) {
	var in executionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := s.e.DescribeStateMachineForExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := smDescription(info)
	delete(out, "status")
	delete(out, "type")
	delete(out, "creationDate")
	out["updateDate"] = sfn.EpochSeconds(info.CreationDate)
	return out, nil
}

func (s *server) apiStopExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string  `json:"executionArn"`
		Error        *string `json:"error"`
		Cause        *string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	stop, err := s.e.StopExecution(ctx, in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stopDate": sfn.EpochSeconds(stop)}, nil
}

var executionStatuses = map[string]bool{
	sfn.StatusSucceeded: true, sfn.StatusTimedOut: true, "PENDING_REDRIVE": true, sfn.StatusAborted: true, sfn.StatusFailed: true, sfn.StatusRunning: true,
}

func (s *server) apiListExecutions(ctx context.Context, body []byte) (any, error) {
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
	all, err := s.e.ListExecutions(ctx, in.StateMachineArn, status)
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
			"status": x.Status, "startDate": sfn.EpochSeconds(x.StartDate), "redriveCount": x.RedriveCount,
		}
		if !x.StopDate.IsZero() {
			item["stopDate"] = sfn.EpochSeconds(x.StopDate)
		}
		list = append(list, item)
	}
	out := map[string]any{"executions": list}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (s *server) apiGetExecutionHistory(ctx context.Context, body []byte) (any, error) {
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
	events, err := s.e.History(ctx, in.ExecutionArn)
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

func (s *server) apiValidateStateMachineDefinition(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Definition *string `json:"definition"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, apiErrorf(codeValidationException, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	result, diags := s.e.ValidateStateMachineDefinition(ctx, *in.Definition)
	return map[string]any{"result": result, "diagnostics": diags, "truncated": false}, nil
}

func (s *server) apiSendTaskSuccess(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
		Output    string `json:"output"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return map[string]any{}, s.e.SendTaskSuccess(ctx, in.TaskToken, in.Output)
}

func (s *server) apiSendTaskFailure(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return map[string]any{}, s.e.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause)
}

func (s *server) apiSendTaskHeartbeat(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return map[string]any{}, s.e.SendTaskHeartbeat(ctx, in.TaskToken)
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
