package apigw

import (
	"context"
	"errors"
)

// ErrInvalidJSONBody is the cause a Template wraps when the template reads
// the body as JSON and it is not: API Gateway answers 400 "Could not parse
// request body into json: ..." instead of a 500.
var ErrInvalidJSONBody = errors.New("could not parse request body into json")

// TemplateRequest is what a mapping template reads through $input (it
// mirrors vtl.Request).
type TemplateRequest struct {
	Body    []byte
	Headers map[string]string
	Query   map[string]string
	Path    map[string]string
}

// TemplateEnv is what a mapping template can see (it mirrors vtl.Env).
type TemplateEnv struct {
	Request        TemplateRequest
	Context        map[string]any
	StageVariables map[string]string
	// prepared, when not nil, keeps Context as the VTL engine converted it
	// for the request's other templates (see VTLParser).
	prepared *preparedContext
}

// TemplateResult is a rendered template (it mirrors vtl.Result).
type TemplateResult struct {
	Body    string
	Status  int               // $context.responseOverride.status, 0 if unset
	Headers map[string]string // $context.responseOverride.header.*
}

// Template is a parsed mapping template.
type Template interface {
	Render(ctx context.Context, env *TemplateEnv) (*TemplateResult, error)
}

// TemplateParser parses a mapping template; name identifies it in errors.
// The gateway keeps the engine behind this seam so it can be tested with a
// fake and the VTL engine can evolve on its own.
type TemplateParser func(name, src string) (Template, error)
