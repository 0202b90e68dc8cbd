package slsconfig

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// localLookup answers references the way the local runtime will: every
// function of the project's serverless.yml has its ARN, so a function
// added there needs nothing here.
func localLookup(t *testing.T) MapLookup {
	t.Helper()
	m := MapLookup{
		Refs: map[string]string{
			"JobsStateMachine": "arn:aws:states:us-east-1:000000000000:stateMachine:stepjobs-dev-jobs",
			"JobsTable":        "stepjobs-dev-jobs",
			"ResultsBucket":    "stepjobs-dev-results",
		},
		Attrs: map[string]string{
			"JobsStateMachine.Name":           "stepjobs-dev-jobs",
			"StatusUpdateDeadLetterQueue.Arn": "arn:aws:sqs:us-east-1:000000000000:stepjobs-dev-status-update-dlq",
			"CallbackDeadLetterQueue.Arn":     "arn:aws:sqs:us-east-1:000000000000:stepjobs-dev-callback-dlq",
			"CallbackQueue.Arn":               "arn:aws:sqs:us-east-1:000000000000:stepjobs-dev-callbacks",
		},
	}
	svc, err := Load(Options{Dir: "../..", Env: func(string) (string, bool) { return "", false }})
	require.NoError(t, err)
	for _, fn := range svc.Functions {
		m.Attrs[fn.LogicalID+".Arn"] = "arn:aws:lambda:us-east-1:000000000000:function:" + fn.Name
	}
	return m
}

func TestLoadProjectService(t *testing.T) {
	svc, err := Load(Options{Dir: "../..", Env: func(string) (string, bool) { return "", false }})
	require.NoError(t, err)
	assert.Equal(t, "stepjobs", svc.Name)
	assert.Equal(t, "dev", svc.Stage)
	assert.Equal(t, "us-east-1", svc.Region)
	require.Len(t, svc.StateMachines, 1)
	sm := svc.StateMachines[0]
	assert.Equal(t, "JobsStateMachine", sm.LogicalID)
	assert.Equal(t, "stepjobs-dev-jobs", sm.Name)

	def, err := svc.Definition("jobs", localLookup(t))
	require.NoError(t, err)
	var parsed map[string]any
	require.NoError(t, json.Unmarshal(def, &parsed))
	states := parsed["States"].(map[string]any)
	assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:stepjobs-dev-tracking", states["Track"].(map[string]any)["Resource"])

	routes, err := svc.Routes(localLookup(t))
	require.NoError(t, err)
	require.Len(t, routes, 6)
	auth := &Authorizer{Name: "authorizer", Type: "TOKEN", Function: "authorizer", IdentitySource: DefaultIdentitySource, ResultTTLSeconds: 300}
	// The raw DynamoDB methods of resources/api.yml, on the Framework's resources.
	list, get := routes[1], routes[2]
	routes = append(routes[:1], routes[3:]...)
	for _, r := range []Route{list, get} {
		assert.Equal(t, auth, r.Authorizer, "%s requires the authorizer", r.Path)
		assert.Equal(t, ServiceDynamoDB, r.Service, r.Path)
		assert.Equal(t, PassthroughNever, r.PassthroughBehavior, r.Path)
		assert.Contains(t, r.RequestTemplates["application/json"], `"TableName": "stepjobs-dev-jobs"`, "Fn::Sub resolved")
		assert.Len(t, r.Responses, 3, r.Path)
	}
	assert.Equal(t, []string{"/jobs", "GET", "Query"}, []string{list.Path, list.Method, list.Action})
	assert.Equal(t, []string{"/jobs/{jobId}", "GET", "GetItem"}, []string{get.Path, get.Method, get.Action})
	for _, r := range routes {
		assert.Equal(t, auth, r.Authorizer, "%s requires the authorizer", r.Path)
		if r.Integration == IntegrationLambdaProxy {
			continue
		}
		assert.Equal(t, PassthroughWhenNoTemplates, r.PassthroughBehavior, r.Path)
		assert.NotContains(t, r.RequestTemplates["application/json"], "${StateMachineArn}", "Fn::Sub resolved")
		assert.NotContains(t, r.RequestTemplates["application/json"], "${ExecutionArnPrefix}", "Fn::Sub resolved")
		assert.Len(t, r.Responses, 3, r.Path)
		assert.Contains(t, r.RequestSchemas, "application/json", r.Path)
	}
	assert.Equal(t, "/describe-execution", routes[0].Path)
	assert.Equal(t, "DescribeExecution", routes[0].Action)
	assert.Contains(t, routes[0].RequestTemplates["application/json"], `"arn:aws:states:us-east-1:000000000000:execution:stepjobs-dev-jobs:$name"`)
	assert.Equal(t, "/jobs/{jobId}/result", routes[1].Path)
	assert.Equal(t, IntegrationLambdaProxy, routes[1].Integration)
	assert.Equal(t, "jobResult", routes[1].Function)
	assert.Equal(t, "/start-execution", routes[2].Path)
	assert.Contains(t, routes[2].RequestTemplates["application/json"], `"stateMachineArn": "`+localLookup(t).Refs["JobsStateMachine"]+`"`)
	assert.Equal(t, "/stop-execution", routes[3].Path)
	assert.Equal(t, "StopExecution", routes[3].Action)
	rules, err := svc.EventRules(localLookup(t))
	require.NoError(t, err)
	require.Len(t, rules, 2)
	assert.Equal(t, "statusUpdate", rules[0].Function)
	assert.Equal(t, 2, rules[0].RetryAttempts)
	assert.Equal(t, localLookup(t).Attrs["StatusUpdateDeadLetterQueue.Arn"], rules[0].OnFailure)
	assert.Equal(t, localLookup(t).Attrs["StatusUpdateDeadLetterQueue.Arn"], rules[0].DeadLetterQueue)
	// The callback rule is a resource whose target is the callbacks queue.
	assert.Equal(t, EventRule{Queue: localLookup(t).Attrs["CallbackQueue.Arn"], DeadLetterQueue: localLookup(t).Attrs["CallbackDeadLetterQueue.Arn"],
		Pattern: rules[1].Pattern}, rules[1])
	assert.Equal(t, []any{"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"}, rules[1].Pattern["detail"].(map[string]any)["status"])
	sources, err := svc.QueueSources(localLookup(t))
	require.NoError(t, err)
	assert.Equal(t, []QueueSource{{Function: "notifier", Queue: localLookup(t).Attrs["CallbackQueue.Arn"], BatchSize: 1, ReportBatchItemFailures: true}}, sources)
	gw, err := svc.GatewayResponses(localLookup(t))
	require.NoError(t, err)
	assert.Contains(t, gw, "DEFAULT_4XX")
	assert.Contains(t, gw, "DEFAULT_5XX")
	require.Len(t, svc.Tables, 1)
	assert.Equal(t, "stepjobs-dev-jobs", svc.Tables[0].TableName)
	assert.Equal(t, "expiresAt", svc.Tables[0].TTLAttribute)
	assert.Equal(t, []Index{{Name: "byOwner", KeySchema: []KeyAttribute{{Name: "owner", KeyType: "HASH", Type: "S"}, {Name: "createdAt", KeyType: "RANGE", Type: "S"}},
		ProjectionType: "INCLUDE", NonKeyAttributes: []string{"status", "updatedAt", "recordsGenerated", "recordsTotal", "progressAt", "expiresAt"}}}, svc.Tables[0].Indexes)
	assert.False(t, svc.Tables[0].GeneratedName)
	assert.Equal(t, []KeyAttribute{{Name: "jobId", KeyType: "HASH", Type: "S"}}, svc.Tables[0].KeySchema)
	require.Len(t, svc.Buckets, 1)
	assert.Equal(t, Bucket{LogicalID: "ResultsBucket", BucketName: "stepjobs-dev-resultsbucket", GeneratedName: true,
		Properties: svc.Buckets[0].Properties}, svc.Buckets[0])
	require.NotEmpty(t, svc.Functions)
	fn, ok := svc.Function("batchSimulation")
	require.True(t, ok)
	assert.Equal(t, Function{Key: "batchSimulation", LogicalID: "BatchSimulationLambdaFunction", Name: "stepjobs-dev-batchSimulation",
		Handler: "bootstrap", Runtime: "provided.al2023", Artifact: "dist/batch-simulation.zip", Environment: fn.Environment}, fn)
	env, err := svc.FunctionEnv("tracking", localLookup(t))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"TABLE_NAME": "stepjobs-dev-jobs", "BUCKET_NAME": "stepjobs-dev-results", "LOG_LEVEL": "INFO",
		"METRICS_SERVICE": "stepjobs-dev"}, env)
}
