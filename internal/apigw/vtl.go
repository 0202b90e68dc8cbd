package apigw

import (
	"context"
	"errors"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/vtl"
)

// VTLParser parses mapping templates with internal/vtl, the engine that
// renders them as API Gateway does. It is the default TemplateParser.
func VTLParser(name, src string) (Template, error) {
	t, err := vtl.Parse(name, src)
	if err != nil {
		return nil, err
	}
	return vtlTemplate{t: t}, nil
}

type vtlTemplate struct{ t *vtl.Template }

func (v vtlTemplate) Render(ctx context.Context, env *TemplateEnv) (*TemplateResult, error) {
	res, err := v.t.Render(ctx, &vtl.Env{
		Request: vtl.Request{
			Body:    env.Request.Body,
			Headers: env.Request.Headers,
			Query:   env.Request.Query,
			Path:    env.Request.Path,
		},
		Context:        env.Context,
		StageVariables: env.StageVariables,
	})
	if errors.Is(err, vtl.ErrInvalidJSONBody) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSONBody, err)
	}
	if err != nil {
		return nil, err
	}
	return &TemplateResult{Body: res.Body, Status: res.Status, Headers: res.Headers}, nil
}
