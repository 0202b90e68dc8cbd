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

// preparedContext is a request's $context as vtl.NewContext converted it,
// made by the first template the request renders and copied by each: the
// request and response templates of a request start from the same
// $context, and converting it (sorting the keys of ~30 Go map entries)
// twice per request was a tenth of the gateway's CPU under load. nil until
// then, and again whenever the call's $context changes (call.setContext).
type preparedContext struct{ v *vtl.Context }

func (v vtlTemplate) Render(ctx context.Context, env *TemplateEnv) (*TemplateResult, error) {
	var prepared *vtl.Context
	if p := env.prepared; p != nil {
		if p.v == nil {
			p.v = vtl.NewContext(env.Context)
		}
		prepared = p.v
	}
	res, err := v.t.Render(ctx, &vtl.Env{
		Request: vtl.Request{
			Body:    env.Request.Body,
			Headers: env.Request.Headers,
			Query:   env.Request.Query,
			Path:    env.Request.Path,
		},
		Context:        env.Context,
		Prepared:       prepared,
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
