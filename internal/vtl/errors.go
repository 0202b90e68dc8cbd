package vtl

import (
	"errors"
	"fmt"
)

// SyntaxError is returned by Parse for a template that does not parse.
type SyntaxError struct {
	Template string
	Line     int
	Col      int
	Msg      string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Template, e.Line, e.Col, e.Msg)
}

// RenderError is a runtime failure of a template; API Gateway answers such a
// failure with a 500. Err holds the cause (match with errors.Is/As).
type RenderError struct {
	Template string
	Line     int
	Col      int
	Err      error
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %v", e.Template, e.Line, e.Col, e.Err)
}

func (e *RenderError) Unwrap() error { return e.Err }

// ErrInvalidJSONBody is the cause when a template reads the body through
// $input.json or $input.path and the body is not JSON. API Gateway answers
// this with 400 {"message": "Could not parse request body into json: ..."}.
var ErrInvalidJSONBody = errors.New("could not parse request body into json")

// ErrLimit is the cause when a render exceeds one of the engine's caps
// (loop iterations, range size, output size, nesting); see doc.go.
var ErrLimit = errors.New("template limit exceeded")

// ErrUnsupported is the cause when a template uses a Velocity feature the
// engine does not emulate (#parse, #include, #evaluate, some Java regex).
var ErrUnsupported = errors.New("unsupported")

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
