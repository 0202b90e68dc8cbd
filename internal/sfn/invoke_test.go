package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLambdaFunctionName(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string
		ok   bool
	}{
		"arn":           {"arn:aws:lambda:us-east-1:123456789012:function:tracking", "tracking", true},
		"qualified arn": {"arn:aws:lambda:us-east-1:123456789012:function:tracking:live", "tracking", true},
		"partial":       {"123456789012:function:tracking", "tracking", true},
		"name":          {"tracking", "tracking", true},
		"name:alias":    {"tracking:live", "tracking", true},
		"states arn":    {"arn:aws:states:::lambda:invoke", "", false},
		"empty":         {"", "", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := lambdaFunctionName(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGetAttFunction(t *testing.T) {
	for raw, want := range map[string]string{
		`{"Fn::GetAtt":["tracking","Arn"]}`:  "tracking",
		`{"Fn::GetAtt":"tracking.Arn"}`:      "tracking",
		`{"Fn::GetAtt":["tracking","Name"]}`: "",
		`{"Ref":"tracking"}`:                 "",
		`"tracking"`:                         "",
	} {
		got, ok := getAttFunction(json.RawMessage(raw))
		assert.Equal(t, want, got, raw)
		assert.Equal(t, want != "", ok, raw)
	}
}

type CustomError struct{}

func (*CustomError) Error() string { return "custom" }

func TestMapLambdaError(t *testing.T) {
	tests := map[string]struct {
		err       error
		name, msg string
	}{
		"pointer type":   {&CustomError{}, "CustomError", "custom"},
		"errors.New":     {errors.New("plain"), "errorString", "plain"},
		"invoke error":   {messages.InvokeResponse_Error{Type: "Lambda.TooManyRequestsException", Message: "slow down"}, "Lambda.TooManyRequestsException", "slow down"},
		"wrapped invoke": {fmt.Errorf("call: %w", messages.InvokeResponse_Error{Type: "X", Message: "m"}), "X", "m"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			le := mapLambdaError(tt.err)
			assert.Equal(t, tt.name, le.Name)
			assert.JSONEq(t, fmt.Sprintf(`{"errorMessage":%q,"errorType":%q}`, tt.msg, tt.name), le.Cause)
		})
	}
}

// A service integration's error keeps the name and cause it gives, wrapped
// or not.
func TestMapTaskError(t *testing.T) {
	te := &TaskError{Name: "DynamoDB.ConditionalCheckFailedException", Cause: "The conditional request failed"}
	for _, err := range []error{te, fmt.Errorf("put: %w", te)} {
		le := mapLambdaError(err)
		assert.Equal(t, te.Name, le.Name)
		assert.Equal(t, te.Cause, le.Cause)
	}
}

func TestSafeInvokeRecoversPanics(t *testing.T) {
	_, err := safeInvoke(context.Background(), InvokerFunc(func(context.Context, []byte) ([]byte, error) { panic("boom") }), nil)
	require.Error(t, err)
	le := mapLambdaError(err)
	assert.Equal(t, "string", le.Name)
	assert.Contains(t, le.Cause, "boom")
}

func TestLambdaFunc(t *testing.T) {
	inv := LambdaFunc(func(_ context.Context, in struct{ N int }) (map[string]int, error) {
		if in.N < 0 {
			return nil, &CustomError{}
		}
		return map[string]int{"double": 2 * in.N}, nil
	})
	out, err := inv.Invoke(context.Background(), []byte(`{"N":21}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"double":42}`, string(out))
	_, err = inv.Invoke(context.Background(), []byte(`{"N":-1}`))
	assert.Equal(t, "CustomError", mapLambdaError(err).Name)
}

func TestResolveTask(t *testing.T) {
	reg := NewRegistry()
	reg.RegisterFunction("fn", InvokerFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
	reg.RegisterResource("arn:aws:states:::sqs:sendMessage", InvokerFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
	e := New(Config{Invokers: reg})
	tests := map[string]struct {
		resource, params string
		kind             taskKind
		errContains      string
	}{
		"function arn":     {resource: `"arn:aws:lambda:us-east-1:123456789012:function:fn"`, kind: taskLambda},
		"get att":          {resource: `{"Fn::GetAtt":["fn","Arn"]}`, kind: taskLambda},
		"lambda invoke":    {resource: `"arn:aws:states:::lambda:invoke"`, params: `{"FunctionName":"fn"}`, kind: taskLambdaInvoke},
		"invoke get att":   {resource: `"arn:aws:states:::lambda:invoke"`, params: `{"FunctionName":{"Fn::GetAtt":["fn","Arn"]}}`, kind: taskLambdaInvoke},
		"invoke dynamic":   {resource: `"arn:aws:states:::lambda:invoke"`, params: `{"FunctionName.$":"$.f"}`, kind: taskLambdaInvoke},
		"service mock":     {resource: `"arn:aws:states:::sqs:sendMessage"`, kind: taskService},
		"unknown function": {resource: `"arn:aws:lambda:us-east-1:1:function:other"`, errContains: "other"},
		"unknown get att":  {resource: `{"Fn::GetAtt":["other","Arn"]}`, errContains: "other"},
		"invoke unknown":   {resource: `"arn:aws:states:::lambda:invoke"`, params: `{"FunctionName":"other"}`, errContains: "other"},
		"invoke no name":   {resource: `"arn:aws:states:::lambda:invoke"`, params: `{}`, errContains: "FunctionName"},
		"unknown service":  {resource: `"arn:aws:states:::sns:publish"`, errContains: "sns:publish"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var params map[string]json.RawMessage
			if tt.params != "" {
				require.NoError(t, json.Unmarshal([]byte(tt.params), &params))
			}
			task, err := e.resolveTask(json.RawMessage(tt.resource), params)
			if tt.errContains != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errContains)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.kind, task.kind)
		})
	}
}

func FuzzLambdaFunctionName(f *testing.F) {
	for _, s := range []string{"arn:aws:lambda:r:a:function:f", "f:q", "a:function:f", "", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if name, ok := lambdaFunctionName(s); ok && name == "" {
			t.Fatalf("empty name accepted from %q", s)
		}
	})
}

func FuzzGetAttFunction(f *testing.F) {
	f.Add(`{"Fn::GetAtt":["f","Arn"]}`)
	f.Add(`{"Fn::GetAtt":"f.Arn"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		if name, ok := getAttFunction(json.RawMessage(s)); ok && name == "" {
			t.Fatalf("empty name accepted from %q", s)
		}
	})
}

func FuzzInputErrorText(f *testing.F) {
	for _, s := range []string{"", "not json", "{'a':1", "{", "[", "-", "\"x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if inputErrorText(s) == "" {
			t.Fatal("empty message")
		}
	})
}
