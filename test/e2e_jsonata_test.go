package test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EJSONataMachine runs the project's machine written in JSONata (a
// fixture: statemachine/jobs.asl.json stays JSONPath) through the local
// runtime: created with the AWS SDK on its Step Functions endpoint, it calls
// the same handlers, which write the job record to DynamoDB and the result
// to S3, and a bad job ends FAILED with its record saying so.
func TestE2EJSONataMachine(t *testing.T) {
	rt := shared(t)
	if rt.deployed {
		t.Skip("creates a state machine on the local runtime")
	}
	ctx := t.Context()
	sm, err := rt.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(uniqueKey("jobs-jsonata")), Definition: aws.String(rt.deployedDefinition(t, "testdata/jobs.jsonata.asl.json")),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/stepjobs-local")})
	require.NoError(t, err)

	tests := []struct {
		name, input, status, errName string
	}{
		{"a job succeeds", `{"records": 7, "seed": 3}`, "SUCCEEDED", ""},
		{"a bad job fails and is recorded", `{"records": 0}`, "FAILED", "InvalidJobInput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobID := rt.ownerPrefix() + "-" + uniqueKey("jsonata")
			started, err := rt.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: sm.StateMachineArn, Name: aws.String(jobID), Input: aws.String(tt.input)})
			require.NoError(t, err)
			var d *sfn.DescribeExecutionOutput
			require.Eventually(t, func() bool {
				d, err = rt.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
				return err == nil && d.Status != sfntypes.ExecutionStatusRunning
			}, 30*time.Second, 20*time.Millisecond)
			require.Equal(t, tt.status, string(d.Status), "error %s cause %s", aws.ToString(d.Error), aws.ToString(d.Cause))

			rec, err := rt.jobs.Get(ctx, jobID)
			require.NoError(t, err)
			assert.Equal(t, tt.status, string(rec.Status), "the job record")
			if tt.status != "SUCCEEDED" {
				assert.Equal(t, tt.errName, aws.ToString(d.Error))
				return
			}
			var out struct {
				JobID  string `json:"jobId"`
				Status string `json:"status"`
				Result struct {
					Bucket, Key string
					Records     int
				} `json:"result"`
			}
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.Output)), &out))
			assert.Equal(t, jobID, out.JobID)
			assert.Equal(t, 7, out.Result.Records)
			obj, err := rt.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(out.Result.Bucket), Key: aws.String(out.Result.Key)})
			require.NoError(t, err, "the result in S3")
			_ = obj.Body.Close()
		})
	}
}

// deployedDefinition reads a definition whose Task resources name the
// stack's functions by Fn::GetAtt, as serverless.yml writes them, and
// returns it with the functions' ARNs, as CloudFormation would deploy it.
func (rt *localRuntime) deployedDefinition(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var def map[string]any
	require.NoError(t, json.Unmarshal(b, &def))
	res := rt.srv.Resources()
	states, _ := def["States"].(map[string]any)
	for _, st := range states {
		m, _ := st.(map[string]any)
		getAtt, _ := m["Resource"].(map[string]any)
		if ref, ok := getAtt["Fn::GetAtt"].([]any); ok && len(ref) == 2 {
			key, _ := ref[0].(string)
			name, ok := res.Functions[key]
			require.True(t, ok, "function %s in %s", key, path)
			m["Resource"] = "arn:aws:lambda:" + res.Region + ":" + res.AccountID + ":function:" + name
		}
	}
	out, err := json.Marshal(def)
	require.NoError(t, err)
	return string(out)
}
