package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// Env is what paths can see besides the state input: the context object ($$)
// and the variables in scope ($name).
type Env struct {
	Context any
	// ContextSource, when Context is nil, makes the context object the
	// first time a path reads it: most states never do, and building it
	// was a fifth of a quick state's allocations.
	ContextSource ContextSource
	Vars          map[string]any
	// Input is the state's raw input: JSONata's $states.input.
	Input any
}

// Object is an object of the context object made on demand: paths read
// its fields one at a time, and Value makes the whole of it when a path
// selects it entire. ContextSource.ContextField may return one.
type Object interface {
	Field(name string) (any, bool)
	Value() any
}

// ContextSource makes a context object ($$) on demand.
type ContextSource interface {
	// ContextObject returns the whole context object.
	ContextObject() any
	// ContextField returns one of its top-level fields, e.g. Execution:
	// a path like $$.Execution.Name needs no more. It may be an Object.
	ContextField(name string) (any, bool)
}

// context returns the context object, making it if need be.
func (env *Env) context() any {
	if env.Context == nil && env.ContextSource != nil {
		env.Context = env.ContextSource.ContextObject()
	}
	return env.Context
}

// DecodeJSON decodes JSON text the way this package represents values
// (json.Number for numbers). Trailing data is an error.
func DecodeJSON(data []byte) (any, error) {
	return DecodeJSONString(string(data))
}

// decodeDefinition decodes a definition: objects are maps, which the
// parser walks (it reads key order from the text itself).
func decodeDefinition(data []byte) (any, error) {
	if v, ok := fastDecode(string(data), false); ok {
		return v, nil
	}
	return slowDecodeJSON(data, false)
}

// slowDecodeJSON is encoding/json's decoding, which the fast decoder falls
// back on so errors keep their exact text (and for nesting too deep for
// it); ordered makes objects *jsonvalue.Object.
func slowDecodeJSON(data []byte, ordered bool) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode JSON: unexpected data after the value")
	}
	if ordered {
		// Valid text the fast decoder refused (nesting deeper than it
		// goes): decode it again keeping the order.
		return orderedFromTokens(data)
	}
	return v, nil
}

// orderedFromTokens decodes valid JSON text with objects in order.
func orderedFromTokens(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value func() (any, error)
	value = func() (any, error) {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("decode JSON: %w", err)
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '[' {
				a := []any{}
				for dec.More() {
					e, err := value()
					if err != nil {
						return nil, err
					}
					a = append(a, e)
				}
				_, err := dec.Token()
				return a, err
			}
			o := jsonvalue.NewObject(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("decode JSON: %w", err)
				}
				e, err := value()
				if err != nil {
					return nil, err
				}
				o.Set(kt.(string), e)
			}
			_, err := dec.Token()
			return o, err
		}
		return tok, nil
	}
	return value()
}

// parseNumber turns literal number text into a json.Number after checking it.
func parseNumber(s string) (json.Number, error) {
	if _, ok := new(big.Float).SetString(s); !ok {
		return "", fmt.Errorf("invalid number %q", s)
	}
	return json.Number(s), nil
}

// numberFloat converts a JSON number to float64.
func numberFloat(n json.Number) float64 {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		bf, _, err := big.ParseFloat(string(n), 10, 64, big.ToNearestEven)
		if err != nil {
			return 0
		}
		f, _ = bf.Float64()
	}
	return f
}

// numberInt returns the integer value of n when it is integral.
func numberInt(n json.Number) (int64, bool) {
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f := numberFloat(n)
	if f == float64(int64(f)) && f >= -9.2e18 && f <= 9.2e18 {
		return int64(f), true
	}
	return 0, false
}

// compareNumbers compares exactly (big.Float) so 1 and 1.0 are equal.
func compareNumbers(a, b json.Number) int {
	// Fast paths: integers, then floats that differ; only ties between
	// different spellings (1 vs 1.0, huge values) need big.Float.
	if x, err := a.Int64(); err == nil {
		if y, err := b.Int64(); err == nil {
			return cmpOrdered(x, y)
		}
	}
	if a == b {
		return 0
	}
	if x, err := strconv.ParseFloat(string(a), 64); err == nil {
		if y, err := strconv.ParseFloat(string(b), 64); err == nil && x != y {
			return cmpOrdered(x, y)
		}
	}
	fa, _, errA := big.ParseFloat(string(a), 10, 200, big.ToNearestEven)
	fb, _, errB := big.ParseFloat(string(b), 10, 200, big.ToNearestEven)
	if errA != nil || errB != nil {
		return cmpOrdered(numberFloat(a), numberFloat(b))
	}
	return fa.Cmp(fb)
}

// jsonEqual compares two JSON values structurally (numbers by value).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && compareNumbers(x, y) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *jsonvalue.Object:
		y, ok := objectOf(b)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			k, e := x.At(i)
			f, ok := y.Get(k)
			if !ok || !jsonEqual(e, f) {
				return false
			}
		}
		return true
	case map[string]any:
		if o, ok := b.(*jsonvalue.Object); ok {
			return jsonEqual(o, x)
		}
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// jsonTypeName names a value's JSON type.
func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any, *jsonvalue.Object:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func cmpOrdered[T int64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
