package test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfnapi"
)

// TestE2ETestState tests states of the project's own machine with
// TestState on the local runtime's Step Functions endpoint: the Simulate
// Task calls the real batch-simulation handler, which refuses a bad
// request, and its Catch sends the error on to RecordFailure; the Choice
// after RecordFailure picks JobFailed.
func TestE2ETestState(t *testing.T) {
	rt := shared(t)
	if rt.deployed {
		t.Skip("the deployed stack's role and functions are not this test's")
	}
	def := rt.deployedDefinition(t, "../statemachine/jobs.asl.json")
	role := aws.String("arn:aws:iam::000000000000:role/stepjobs-local")
	ctx := t.Context()

	out, err := rt.sfn.TestState(ctx, &sfn.TestStateInput{
		Definition: aws.String(def), StateName: aws.String("Simulate"), RoleArn: role,
		Input: aws.String(`{"records": -1}`), InspectionLevel: sfntypes.InspectionLevelDebug,
	}, sfnapi.NoHostPrefix)
	require.NoError(t, err)
	assert.Equal(t, sfntypes.TestExecutionStatusCaughtError, out.Status, "error %s cause %s", aws.ToString(out.Error), aws.ToString(out.Cause))
	assert.Equal(t, "InvalidJobInput", aws.ToString(out.Error))
	assert.Equal(t, "RecordFailure", aws.ToString(out.NextState))
	require.NotNil(t, out.InspectionData)
	require.NotNil(t, out.InspectionData.ErrorDetails)
	assert.Equal(t, int32(0), aws.ToInt32(out.InspectionData.ErrorDetails.CatchIndex))
	assert.Contains(t, aws.ToString(out.InspectionData.AfterParameters), `"request":{"records":-1}`, "$$.Execution.Input is the tested input")

	out, err = rt.sfn.TestState(ctx, &sfn.TestStateInput{
		Definition: aws.String(def), StateName: aws.String("CheckRecord"),
		Input: aws.String(`{"Error": "E", "record": {"status": "FAILED"}}`),
	}, sfnapi.NoHostPrefix)
	require.NoError(t, err)
	assert.Equal(t, sfntypes.TestExecutionStatusSucceeded, out.Status)
	assert.Equal(t, "JobFailed", aws.ToString(out.NextState))
}
