package offline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// activityService defines an activity and a machine naming it by Ref and
// by Fn::GetAtt, as serverless-step-functions projects do.
const activityService = `service: acts
provider:
  name: aws
stepFunctions:
  activities:
    - review-order
  stateMachines:
    review:
      name: review
      definition:
        StartAt: First
        States:
          First:
            Type: Task
            Resource:
              Ref: ReviewDashorderStepFunctionsActivity
            Next: Second
          Second:
            Type: Task
            Resource:
              Fn::GetAtt: [ReviewDashorderStepFunctionsActivity, Arn]
            End: true
`

// The stack's activities exist at start, so its definitions resolve, and
// a worker on the Step Functions endpoint completes their tasks.
func TestStartCreatesActivities(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "serverless.yml"), []byte(activityService), 0o644))
	// No tables: DynamoDB is never called, so no dynalite is needed.
	s, err := Start(ctx, Config{Dir: dir, DynamoDBEndpoint: "http://127.0.0.1:1", StartTimeout: 20 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })

	c := awssfn.New(awssfn.Options{BaseEndpoint: aws.String(s.URLs().StepFunctions), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""), RetryMaxAttempts: 1})
	act := "arn:aws:states:us-east-1:000000000000:activity:review-order"
	list, err := c.ListActivities(ctx, &awssfn.ListActivitiesInput{})
	require.NoError(t, err)
	require.Len(t, list.Activities, 1)
	assert.Equal(t, act, *list.Activities[0].ActivityArn)

	start, err := c.StartExecution(ctx, &awssfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:review"), Input: aws.String(`{"order":1}`)})
	require.NoError(t, err)
	for i, out := range []string{`{"step":1}`, `{"step":2}`} {
		task, err := c.GetActivityTask(ctx, &awssfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("w")})
		require.NoError(t, err)
		require.NotNil(t, task.TaskToken, "task %d", i)
		_, err = c.SendTaskSuccess(ctx, &awssfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(out)})
		require.NoError(t, err)
	}
	d, err := s.Engine().Wait(ctx, *start.ExecutionArn)
	require.NoError(t, err)
	assert.Equal(t, "SUCCEEDED", d.Status)
	assert.JSONEq(t, `{"step":2}`, *d.Output)
}
