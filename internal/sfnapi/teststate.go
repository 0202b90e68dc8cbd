package sfnapi

import (
	"context"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// testStateRequest is the TestState request as the API carries it.
type testStateRequest struct {
	Definition      definitionText `json:"definition"`
	RoleArn         *string        `json:"roleArn"`
	Input           *string        `json:"input"`
	InspectionLevel string         `json:"inspectionLevel"`
	RevealSecrets   bool           `json:"revealSecrets"`
	Variables       *string        `json:"variables"`
	StateName       *string        `json:"stateName"`
	Context         *string        `json:"context"`
	Mock            *struct {
		Result      *string `json:"result"`
		ErrorOutput *struct {
			Error *string `json:"error"`
			Cause *string `json:"cause"`
		} `json:"errorOutput"`
		FieldValidationMode string `json:"fieldValidationMode"`
	} `json:"mock"`
	StateConfiguration *struct {
		RetrierRetryCount        *int    `json:"retrierRetryCount"`
		ErrorCausedByState       *string `json:"errorCausedByState"`
		MapIterationFailureCount *int    `json:"mapIterationFailureCount"`
		MapItemReaderData        *string `json:"mapItemReaderData"`
	} `json:"stateConfiguration"`
}

// apiTestState is TestState: the roleArn, when given, is checked as
// CreateStateMachine checks it; the engine does the rest.
func (s *server) apiTestState(ctx context.Context, body []byte) (any, error) {
	var req testStateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	in := sfn.TestStateInput{
		Definition: string(req.Definition), RoleARN: deref(req.RoleArn), Input: deref(req.Input),
		InspectionLevel: req.InspectionLevel, RevealSecrets: req.RevealSecrets, Variables: deref(req.Variables),
		StateName: deref(req.StateName), Context: deref(req.Context),
	}
	if req.RoleArn != nil {
		if err := checkRoleARN(*req.RoleArn); err != nil {
			return nil, err
		}
	}
	if m := req.Mock; m != nil {
		in.Mock = &sfn.TestStateMock{Result: m.Result, FieldValidationMode: m.FieldValidationMode}
		if eo := m.ErrorOutput; eo != nil {
			in.Mock.ErrorOutput = &sfn.TestStateError{Error: eo.Error, Cause: deref(eo.Cause)}
		}
	}
	if c := req.StateConfiguration; c != nil {
		in.Config = &sfn.TestStateConfig{
			RetrierRetryCount: c.RetrierRetryCount, ErrorCausedByState: deref(c.ErrorCausedByState),
			MapIterationFailureCount: c.MapIterationFailureCount, MapItemReaderData: deref(c.MapItemReaderData),
		}
	}
	return s.e.TestState(ctx, in)
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
