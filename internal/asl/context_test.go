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
