package stack

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testEnv = Env{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012", URLSuffix: "amazonaws.com", StackName: "s"}

func readTemplate(t *testing.T) *Template {
	t.Helper()
	data, err := os.ReadFile("testdata/template.json")
	require.NoError(t, err)
	tmpl, err := Parse(data)
	require.NoError(t, err)
	return tmpl
}

func TestParse(t *testing.T) {
	tests := map[string]struct {
		in      string
		wantErr string
	}{
		"valid":           {in: `{"Resources": {"A": {"Type": "AWS::S3::Bucket"}}}`},
		"not JSON":        {in: `{`, wantErr: "parse template"},
		"no resources":    {in: `{"Resources": {}}`, wantErr: "no Resources"},
		"resource typing": {in: `{"Resources": {"A": {"Properties": {}}}}`, wantErr: `resource "A" has no Type`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestTemplateLookups(t *testing.T) {
	tmpl := readTemplate(t)
	assert.Equal(t, []string{"Bucket"}, tmpl.OfType("AWS::S3::Bucket"))
	assert.Empty(t, tmpl.OfType("AWS::Lambda::Function"))

	r, err := tmpl.Resource("Role", "AWS::IAM::Role")
	require.NoError(t, err)
	assert.Equal(t, []string{"Table"}, r.DependsOnList())
	_, err = tmpl.Resource("Role", "AWS::S3::Bucket")
	assert.ErrorContains(t, err, "is AWS::IAM::Role")
	_, err = tmpl.Resource("Nope", "AWS::S3::Bucket")
	assert.ErrorIs(t, err, ErrNotFound)

	v, err := Lookup(r.Properties, "Policies", 1, "PolicyName")
	require.NoError(t, err)
	assert.Equal(t, "a", v)
	_, err = Lookup(r.Properties, "Policies", 5)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = Lookup(r.Properties, "Policies", "x")
	assert.ErrorContains(t, err, "is not an object")
	_, err = Lookup(r.Properties, "Missing")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestEval(t *testing.T) {
	tmpl := readTemplate(t)
	tests := map[string]struct {
		in      any
		want    any
		wantErr error
		errText string
	}{
		"pseudo parameters": {
			in:   map[string]any{"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}"},
			want: "arn:aws:x:eu-west-1:123456789012",
		},
		"ref to resource and parameter": {
			in:   []any{map[string]any{"Ref": "Machine"}, map[string]any{"Ref": "Stage"}},
			want: []any{"<Machine>", "<Stage>"},
		},
		"getatt list and dotted": {
			in:   []any{map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}}, map[string]any{"Fn::GetAtt": "Table.StreamArn"}},
			want: []any{"<Table.Arn>", "<Table.StreamArn>"},
		},
		"sub with variables and literal": {
			in: map[string]any{"Fn::Sub": []any{"${A} ${Machine.Name} ${!Keep} $x {y}",
				map[string]any{"A": map[string]any{"Ref": "Table"}}}},
			want: "<Table> <Machine.Name> ${Keep} $x {y}",
		},
		// A ${ with no closing brace is text in CloudFormation (see slsconfig's sub).
		"unterminated sub is text": {
			in:   map[string]any{"Fn::Sub": "a ${AWS::Region} ${b"},
			want: "a eu-west-1 ${b",
		},
		"join": {
			in:   map[string]any{"Fn::Join": []any{"/", []any{"a", map[string]any{"Ref": "AWS::Region"}}}},
			want: "a/eu-west-1",
		},
		"nested object keeps keys": {
			in:   map[string]any{"A": map[string]any{"Ref": "Bucket"}, "B": 1.0},
			want: map[string]any{"A": "<Bucket>", "B": 1.0},
		},
		"unknown ref":           {in: map[string]any{"Ref": "Nope"}, wantErr: ErrNotFound},
		"unknown getatt":        {in: map[string]any{"Fn::GetAtt": []any{"Nope", "Arn"}}, wantErr: ErrNotFound},
		"unknown sub variable":  {in: map[string]any{"Fn::Sub": "x ${body} y"}, wantErr: ErrNotFound},
		"unknown sub attribute": {in: map[string]any{"Fn::Sub": "${Nope.Arn}"}, wantErr: ErrNotFound},
		"unsupported":           {in: map[string]any{"Fn::If": []any{"C", "a", "b"}}, wantErr: ErrUnsupported},
		"bad getatt":            {in: map[string]any{"Fn::GetAtt": "NoDot"}, errText: "Fn::GetAtt takes [logicalId, attribute]"},
		"bad join":              {in: map[string]any{"Fn::Join": "x"}, errText: "Fn::Join takes [delimiter, [values]]"},
		"bad sub vars":          {in: map[string]any{"Fn::Sub": []any{"x", "y"}}, errText: "Fn::Sub variables are not a map"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tmpl.Eval(testEnv, tc.in)
			switch {
			case tc.wantErr != nil:
				assert.ErrorIs(t, err, tc.wantErr)
			case tc.errText != "":
				assert.ErrorContains(t, err, tc.errText)
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

func TestEvalOutputs(t *testing.T) {
	tmpl := readTemplate(t)
	url, err := tmpl.EvalString(testEnv, tmpl.Outputs["Url"].Value)
	require.NoError(t, err)
	assert.Equal(t, "https://<Machine>.amazonaws.com/<Stage>", url)

	_, err = tmpl.EvalString(testEnv, []any{"a"})
	assert.ErrorContains(t, err, "not a string")
	_, err = tmpl.EvalStrings(testEnv, 1.0)
	assert.ErrorContains(t, err, "not a string or a list")
	_, err = tmpl.EvalStrings(testEnv, []any{"a", 1.0})
	assert.ErrorContains(t, err, "[1]")
}

func TestPolicyStatements(t *testing.T) {
	tmpl := readTemplate(t)
	got, err := tmpl.PolicyStatements(testEnv)
	require.NoError(t, err)
	require.Len(t, got, 4)

	// Sorted by owner, then policy name.
	deny := got[0]
	assert.Equal(t, "BucketPolicy", deny.Owner)
	assert.Equal(t, "Deny", deny.Effect)
	assert.Equal(t, "*", deny.Principal)
	assert.Equal(t, []string{"<Bucket.Arn>", "<Bucket.Arn>/*"}, deny.Resources)
	assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": false}}, deny.Condition)
	assert.False(t, deny.Grants("s3"), "a Deny grants nothing")

	dynamo := got[1]
	assert.Equal(t, "a", dynamo.Policy)
	assert.Equal(t, []string{"dynamodb:GetItem", "dynamodb:PutItem"}, dynamo.Actions)
	assert.Equal(t, []string{"<Table.Arn>"}, dynamo.Resources)
	assert.True(t, dynamo.Grants("dynamodb"))
	assert.False(t, dynamo.Grants("s3"))

	describe := got[2]
	assert.Equal(t, []string{"arn:aws:states:eu-west-1:123456789012:execution:<Machine.Name>:*"}, describe.Resources)
	assert.False(t, describe.HasWildcardResource())

	notAction := got[3]
	assert.True(t, notAction.Grants("s3"), "NotAction allows every action it does not name")
	assert.True(t, notAction.HasWildcardResource())

	roleOnly, err := tmpl.RoleStatements(testEnv, "Role")
	require.NoError(t, err)
	assert.Equal(t, got[1:], roleOnly)
	_, err = tmpl.RoleStatements(testEnv, "Bucket")
	assert.Error(t, err)
}

func TestPolicyStatementsErrors(t *testing.T) {
	tests := map[string]string{
		"document not an object":  `{"Resources": {"P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": "x"}}}}`,
		"statement not an object": `{"Resources": {"P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": ["x"]}}}}}`,
		"unknown resource ref":    `{"Resources": {"P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Ref": "Nope"}}]}}}}}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl, err := Parse([]byte(in))
			require.NoError(t, err)
			_, err = tmpl.PolicyStatements(testEnv)
			assert.Error(t, err)
		})
	}
}

func TestGrantsWildcards(t *testing.T) {
	tests := map[string]struct {
		actions []string
		want    bool
	}{
		"star":            {actions: []string{"*"}, want: true},
		"service star":    {actions: []string{"S3:*"}, want: true},
		"prefix wildcard": {actions: []string{"s3:Put*"}, want: true},
		"other service":   {actions: []string{"s3express:CreateSession"}, want: false},
		"none":            {actions: nil, want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := Statement{Effect: "Allow", Actions: tc.actions}
			assert.Equal(t, tc.want, s.Grants("s3"))
		})
	}
}

func TestLogicalIDs(t *testing.T) {
	tests := map[string]struct{ fn, logGroup string }{
		"tracking":        {"TrackingLambdaFunction", "TrackingLogGroup"},
		"batchSimulation": {"BatchSimulationLambdaFunction", "BatchSimulationLogGroup"},
		"my-fn_x":         {"MyDashfnUnderscorexLambdaFunction", "MyDashfnUnderscorexLogGroup"},
		"":                {"LambdaFunction", "LogGroup"},
	}
	for key, tc := range tests {
		t.Run(key, func(t *testing.T) {
			assert.Equal(t, tc.fn, FunctionLogicalID(key))
			assert.Equal(t, tc.logGroup, LogGroupLogicalID(key))
		})
	}
}

func TestStrings(t *testing.T) {
	assert.Equal(t, []string{"a"}, Strings("a"))
	assert.Equal(t, []string{"a", "b"}, Strings([]any{"a", 1, "b"}))
	assert.Equal(t, []string{"c"}, Strings([]string{"c"}))
	assert.Nil(t, Strings(3))
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/template.json")
	require.NoError(f, err)
	f.Add(data)
	f.Add([]byte(`{"Resources": {"A": {"Type": "T"}}}`))
	f.Add([]byte(`{"Resources": null}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		tmpl, err := Parse(in)
		if err != nil {
			return
		}
		// Whatever parsed must be walkable without panics.
		_, _ = tmpl.PolicyStatements(testEnv)
		for _, r := range tmpl.Resources {
			_, _ = tmpl.Eval(testEnv, r.Properties)
		}
	})
}
