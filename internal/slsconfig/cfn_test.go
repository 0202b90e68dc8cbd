package slsconfig

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubUnterminatedIsText(t *testing.T) {
	l := MapLookup{Refs: map[string]string{"AWS::Region": "eu-west-1"}}
	for in, want := range map[string]string{
		"a ${b":                    "a ${b",
		"${AWS::Region}-${":        "eu-west-1-${",
		"${AWS::Region} ${x ${y":   "eu-west-1 ${x ${y",
		"${!Keep} and ${ unclosed": "${Keep} and ${ unclosed",
	} {
		got, err := ResolveIntrinsics(map[string]any{"Fn::Sub": in}, l, "x")
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func TestIntrinsicErrorKinds(t *testing.T) {
	l := MapLookup{}
	for _, in := range []any{
		map[string]any{"Ref": "Nope"},
		map[string]any{"Fn::GetAtt": []any{"Nope", "Arn"}},
		map[string]any{"Fn::Sub": "x ${body} y"},
		map[string]any{"Fn::Sub": "${Nope.Arn}"},
	} {
		_, err := ResolveIntrinsics(in, l, "x")
		assert.ErrorIs(t, err, ErrUnresolvedIntrinsic)
		assert.ErrorIs(t, err, ErrUnknownReference)
		assert.NotErrorIs(t, err, ErrUnsupportedIntrinsic)
	}
	_, err := ResolveIntrinsics(map[string]any{"Fn::If": []any{"C", "a", "b"}}, l, "x")
	assert.ErrorIs(t, err, ErrUnresolvedIntrinsic)
	assert.ErrorIs(t, err, ErrUnsupportedIntrinsic)
	assert.NotErrorIs(t, err, ErrUnknownReference)
}

func FuzzSub(f *testing.F) {
	for _, s := range []string{"", "plain", "${A}", "${!A}", "a${A}b${B.C}c", "${", "${}", "$${A}}"} {
		f.Add(s)
	}
	l := MapLookup{Refs: map[string]string{"A": "<a>"}}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ResolveIntrinsics(map[string]any{"Fn::Sub": text}, l, "x")
		if err != nil {
			return
		}
		// Without a ${ there is nothing to substitute: the text comes back unchanged.
		if !strings.Contains(text, "${") {
			assert.Equal(t, text, got)
		}
	})
}
