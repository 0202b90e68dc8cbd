// Package reqschema validates request bodies against the API's JSON Schema
// files (schemas/*.json, draft-04, the dialect API Gateway models use) and
// reports failures as API Gateway does: 400 {"message": "Invalid request
// body"}, with $context.error.validationErrorString holding the messages of
// API Gateway's validator (java-json-tools), e.g.
//
//	[object has missing required properties (["executionArn"])]
//
// The local API Gateway uses it where AWS applies the method's request
// validator; the schema files are the same ones serverless.yml publishes as
// models, so the two cannot disagree on what is valid. Validation is done
// by santhosh-tekuri/jsonschema; this package only rewords its findings.
package reqschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Draft04 is the only dialect accepted: API Gateway models are draft-04.
const Draft04 = "http://json-schema.org/draft-04/schema#"

// Message is API Gateway's answer to a body that fails validation
// ($context.error.messageString of the BAD_REQUEST_BODY gateway response).
const Message = "Invalid request body"

// Schema is one compiled schema file.
type Schema struct {
	name   string
	doc    any // the schema document, for the integer check
	schema *jsonschema.Schema
}

// Load reads and compiles a schema file.
func Load(path string) (*Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reqschema: %w", err)
	}
	return Compile(path, b)
}

// Compile compiles a draft-04 schema document; name identifies it in errors.
func Compile(name string, data []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reqschema: %s: %w", name, err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("reqschema: %s: a schema must be a JSON object", name)
	}
	if obj["$schema"] != Draft04 {
		return nil, fmt.Errorf("reqschema: %s: $schema must be %q (API Gateway models are draft-04), got %v", name, Draft04, obj["$schema"])
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	// No loader: a schema that refers to another document is refused
	// rather than fetched.
	c.UseLoader(noLoader{})
	url := "mem:///" + strings.TrimLeft(name, "/")
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("reqschema: %s: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("reqschema: %s: %w", name, err)
	}
	return &Schema{name: name, doc: doc, schema: s}, nil
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external references are not allowed: %s", url)
}

// ValidationError is a body that fails validation. Error() is API
// Gateway's message; Messages are the validator's findings.
type ValidationError struct {
	Messages []string
}

func (e *ValidationError) Error() string { return Message }

// ValidationErrorString is $context.error.validationErrorString: the
// messages as a Java list prints them, "[a, b]".
func (e *ValidationError) ValidationErrorString() string {
	return "[" + strings.Join(e.Messages, ", ") + "]"
}

// Validate checks body. An empty body is validated as {} (the start
// template treats it so; whether API Gateway validates an empty body at all
// is for a deployed stage to show). Not JSON is a *ValidationError too.
func (s *Schema) Validate(body []byte) error {
	if len(bytes.Trim(body, " \t\r\n")) == 0 { // JSON whitespace only
		body = []byte("{}")
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return &ValidationError{Messages: []string{"Invalid JSON: " + err.Error()}}
	}
	var msgs []string
	// API Gateway's validator sees 1.0 as a number, never an integer (as
	// the job's own parser does); jsonschema/v6 accepts it as an integer.
	msgs = appendNonIntegers(msgs, s.doc, v)
	if err := s.schema.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return fmt.Errorf("reqschema: %s: %w", s.name, err)
		}
		msgs = appendLeaves(msgs, ve, v)
	}
	if len(msgs) == 0 {
		return nil
	}
	return &ValidationError{Messages: slices.Compact(msgs)}
}

// appendLeaves adds the messages of the innermost errors, the ones that
// name a failed keyword.
func appendLeaves(msgs []string, e *jsonschema.ValidationError, instance any) []string {
	if len(e.Causes) == 0 {
		return append(msgs, message(e, instance))
	}
	causes := slices.Clone(e.Causes)
	// Errors of the object itself first (by keyword name), then its
	// members in name order: a stable order whatever the validator's.
	slices.SortStableFunc(causes, func(a, b *jsonschema.ValidationError) int {
		if c := len(a.InstanceLocation) - len(b.InstanceLocation); c != 0 {
			return c
		}
		if c := slices.Compare(a.InstanceLocation, b.InstanceLocation); c != 0 {
			return c
		}
		return slices.Compare(a.ErrorKind.KeywordPath(), b.ErrorKind.KeywordPath())
	})
	for _, c := range causes {
		msgs = appendLeaves(msgs, c, instance)
	}
	return msgs
}

// message words one error as java-json-tools does.
func message(e *jsonschema.ValidationError, instance any) string {
	at := valueAt(instance, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return fmt.Sprintf("object has missing required properties (%s)", jsonList(sorted(k.Missing)))
	case *kind.AdditionalProperties:
		return fmt.Sprintf("object instance has properties which are not allowed by the schema: %s", jsonList(sorted(k.Properties)))
	case *kind.Type:
		return typeMessage(at, k.Want)
	case *kind.Enum:
		return fmt.Sprintf("instance value (%s) not found in enum (possible values: %s)", jsonText(at), jsonText(k.Want))
	case *kind.Minimum:
		return fmt.Sprintf("numeric instance is lower than the required minimum (minimum: %s, found: %s)", ratText(k.Want), jsonText(at))
	case *kind.Maximum:
		return fmt.Sprintf("numeric instance is greater than the required maximum (maximum: %s, found: %s)", ratText(k.Want), jsonText(at))
	case *kind.Pattern:
		return fmt.Sprintf("ECMA 262 regex %s does not match input string %s", jsonText(k.Want), jsonText(k.Got))
	case *kind.MaxLength:
		return fmt.Sprintf("string %s is too long (length: %d, maximum allowed: %d)", jsonText(at), k.Got, k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("string %s is too short (length: %d, required minimum: %d)", jsonText(at), k.Got, k.Want)
	}
	return e.Error()
}

func typeMessage(instance any, want []string) string {
	return fmt.Sprintf("instance type (%s) does not match any allowed primitive type (allowed: %s)",
		typeName(instance), jsonList(sorted(want)))
}

// typeName is java-json-tools' name for the type of v: integer for a
// number written without fraction or exponent, number otherwise.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// appendNonIntegers walks schema and instance along "properties" and adds
// a type message for each number written as 1.0 or 1e3 where the schema
// allows "integer" but not "number". (The project's schemas nest only
// through properties.)
func appendNonIntegers(msgs []string, schema, instance any) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return msgs
	}
	// Only integral ones (1.0, 1e3): jsonschema/v6 reports 1.5 itself.
	if n, ok := instance.(json.Number); ok && typeName(n) == "number" && isIntegral(n) {
		want := typeList(s["type"])
		if slices.Contains(want, "integer") && !slices.Contains(want, "number") {
			msgs = append(msgs, typeMessage(n, want))
		}
	}
	obj, ok := instance.(map[string]any)
	props, ok2 := s["properties"].(map[string]any)
	if !ok || !ok2 {
		return msgs
	}
	for _, name := range sorted(mapsKeys(obj)) {
		msgs = appendNonIntegers(msgs, props[name], obj[name])
	}
	return msgs
}

func isIntegral(n json.Number) bool {
	r, ok := new(big.Rat).SetString(string(n))
	return ok && r.IsInt()
}

func typeList(t any) []string {
	switch t := t.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func mapsKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func valueAt(v any, loc []string) any {
	for _, p := range loc {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// jsonList prints strings as a compact JSON array, as Jackson does.
func jsonList(s []string) string { return jsonText(s) }

// jsonText prints v as compact JSON without HTML escaping.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ratText prints a schema bound as an integer when it is one.
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(10)
}
