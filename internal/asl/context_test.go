package asl

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fieldSource is a ContextSource that counts what is asked of it.
type fieldSource struct {
	obj           map[string]any
	wholes, field int
}

func (s *fieldSource) ContextObject() any { s.wholes++; return s.obj }

func (s *fieldSource) ContextField(name string) (any, bool) {
	s.field++
	v, ok := s.obj[name]
	return v, ok
}

// A lazy context object gives every path the same answer as the object
// itself, and a $$.Field path makes only that field.
func TestContextSourceMatchesContext(t *testing.T) {
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"Execution":{"Name":"n","Input":{"a":[1,2]}},"State":{"RetryCount":0}}`), &obj))
	cases := []struct {
		path        string
		wholeObject bool // the path needs the whole object
	}{
		{"$$.Execution.Name", false},
		{"$$.Execution.Input.a[1]", false},
		{"$$.State", false},
		{"$$.Missing", false},
		{"$$.Execution.Missing", false},
		{"$$", true},
		{"$$..Name", true},
		{"$$.Execution.Input.a[*]", true},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			p := MustParsePath(c.path)
			want, wantErr := p.Get(nil, &Env{Context: obj})
			src := &fieldSource{obj: obj}
			got, gotErr := p.Get(nil, &Env{ContextSource: src})
			assert.Equal(t, want, got)
			if wantErr == nil {
				assert.NoError(t, gotErr)
			} else {
				require.Error(t, gotErr)
				assert.Equal(t, wantErr.Error(), gotErr.Error())
			}
			if c.wholeObject {
				assert.Equal(t, 1, src.wholes)
			} else {
				assert.Equal(t, 0, src.wholes)
				assert.Equal(t, 1, src.field)
			}
		})
	}
}

// lazyObject is an Object counting how often it is made whole.
type lazyObject struct {
	fields map[string]any
	values int
}

func (o *lazyObject) Field(name string) (any, bool) { v, ok := o.fields[name]; return v, ok }
func (o *lazyObject) Value() any                    { o.values++; return o.fields }

// objectSource gives Execution as an Object.
type objectSource struct{ exec *lazyObject }

func (s objectSource) ContextObject() any { return map[string]any{"Execution": s.exec.Value()} }
func (s objectSource) ContextField(name string) (any, bool) {
	if name == "Execution" {
		return s.exec, true
	}
	return nil, false
}

// Paths read an Object's fields one by one and make it whole only when
// they select it entire.
func TestContextObjectFields(t *testing.T) {
	cases := []struct {
		path   string
		want   any
		values int
	}{
		{"$$.Execution.Name", "n", 0},
		{"$$.Execution.Input.a", json.Number("1"), 0},
		{"$$.Execution", map[string]any{"Name": "n", "Input": map[string]any{"a": json.Number("1")}}, 1},
		{"$$", map[string]any{"Execution": map[string]any{"Name": "n", "Input": map[string]any{"a": json.Number("1")}}}, 1},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			exec := &lazyObject{fields: map[string]any{"Name": "n", "Input": map[string]any{"a": json.Number("1")}}}
			got, err := MustParsePath(c.path).Get(nil, &Env{ContextSource: objectSource{exec}})
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.values, exec.values)
		})
	}
	_, err := MustParsePath("$$.Execution.Missing").Get(nil, &Env{ContextSource: objectSource{&lazyObject{}}})
	assert.Error(t, err)
}
