package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// The expected answers below are AWS's, as recorded in LocalStack's
// snapshot tests (tests/aws/services/stepfunctions/v2/test_state/ in
// github.com/localstack/localstack); each case names the file (ls:) and the
// snapshot key. The definitions under testdata/teststate are LocalStack's
// templates (tests/aws/services/stepfunctions/templates/test_state/).
// Values that differ per call (ARNs and dates of the context object) are
// left out of the comparison: see normalise.

const (
	lsScenarios    = "ls:test_test_state_scenarios.snapshot.json"
	lsMock         = "ls:test_test_state_mock_scenarios.snapshot.json"
	lsConfig       = "ls:test_state_configuration.snapshot.json"
	lsMockValid    = "ls:test_state_mock_validation.snapshot.json"
	lsStrict       = "ls:test_field_validation_mode.snapshot.json"
	lsPresent      = "ls:test_field_validation_mode_present.snapshot.json"
	lsNone         = "ls:test_field_validation_mode_none.snapshot.json"
	lsContext      = "ls:test_state_context_object.snapshot.json"
	fullContext    = `{"Execution": {"Id": "arn:aws:states:::execution:MyStateMachine:execution-name-12345", "Input": {"input-value": 0, "message": "test data", "values": ["charizard", "pikachu", "bulbasaur"]}, "Name": "execution-name-12345", "RoleArn": "arn:aws:iam:::role/StepFunctionsRole", "StartTime": "2025-01-15T10:30:00.000Z"}, "State": {"EnteredTime": "2025-01-15T10:30:01.500Z", "Name": "MyTaskState", "RetryCount": 0}, "StateMachine": {"Id": "arn:aws:states:::stateMachine:MyStateMachine", "Name": "MyStateMachine"}}`
	helloInput     = `{"Value": "HelloWorld"}`
	nestedInput    = `{"initialData": {"fieldFromInput": "value from input", "otherField": "other"}, "unrelatedData": {"someOtherField": 1234}}`
	choiceInput    = `{"type": "Private", "value": 22}`
	valuesInput    = `{"Values": ["first", "second", "third"]}`
	mockErrCause   = "Mock the cause of the error."
	startExecInput = `{"targetInput": {}, "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Target", "name": "TestStartTarget"}`
)

type testStateCase struct {
	name, src string // src: LocalStack snapshot file and key
	def       string // file under testdata/teststate
	stateName string
	input     string
	vars      string
	ctx       string // the context object
	level     types.InspectionLevel
	mock      *types.MockInput
	cfg       *types.TestStateConfiguration
	noRole    bool
	want      string // the answer, JSON documents decoded (see normalise)
	wantErr   string // "Code: message"
}

func mockResult(s string) *types.MockInput { return &types.MockInput{Result: aws.String(s)} }

func mockError(name, cause string) *types.MockInput {
	return &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String(name), Cause: aws.String(cause)}}
}

func mockMode(s string, mode types.MockResponseValidationMode) *types.MockInput {
	return &types.MockInput{Result: aws.String(s), FieldValidationMode: mode}
}

func retries(n int32) *types.TestStateConfiguration {
	return &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(n)}
}

func failures(n int32) *types.TestStateConfiguration {
	return &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(n)}
}

func testStateCases() []testStateCase {
	const (
		passDebug        = `{"status":"SUCCEEDED","output":{"Value":"HelloWorld"},"inspectionData":{"input":{"Value":"HelloWorld"},"afterInputPath":{"Value":"HelloWorld"},"afterParameters":{"Value":"HelloWorld"},"afterResultSelector":{"Value":"HelloWorld"},"afterResultPath":{"Value":"HelloWorld"}}}`
		ioPassOutput     = `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234},"modifiedData":{"staticValue":"some value","inputValue":"value from input"}}`
		ioResultOutput   = `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234},"modifiedData":{"resultKey":"result value"}}`
		failAnswer       = `"status":"FAILED","error":"SomeFailure","cause":"This state machines raises a 'SomeFailure' failure."`
		retryArguments   = `"afterArguments":{"FunctionName":"foo","Payload":"bar"}`
		valuesInspection = `"input":{"Values":["first","second","third"]},"maxConcurrency":0,"toleratedFailureCount":1`
		mapStates        = `{"input":{"Values":["first","second","third"]},"result":[1,1,1]}`
		parallelResult   = `[{"branch1":"result"},{"branch2":"result"}]`
		parallelIO       = `{"parallelInput":{"data":"input_value"},"parallelResult":[{"branch1":"result"},{"branch2":"result"}]}`
		noMapWithoutMock = "InvalidDefinition: TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"
	)
	return []testStateCase{
		// Inspection level INFO: status, output, nextState, error, cause only.
		{name: "info pass", src: lsScenarios + " test_base_inspection_level_info[BASE_PASS_STATE]", def: "base_pass_state", input: helloInput, level: types.InspectionLevelInfo,
			want: `{"status":"SUCCEEDED","output":{"Value":"HelloWorld"}}`},
		{name: "info result pass", src: lsScenarios + " test_base_inspection_level_info[BASE_RESULT_PASS_STATE]", def: "base_result_pass_state", input: helloInput,
			want: `{"status":"SUCCEEDED","output":{"resultKey":"result value"}}`},
		{name: "info io pass", src: lsScenarios + " test_base_inspection_level_info[IO_PASS_STATE]", def: "io_pass_state", input: nestedInput, level: types.InspectionLevelInfo,
			want: `{"status":"SUCCEEDED","output":` + ioPassOutput + `}`},
		{name: "info io result pass", src: lsScenarios + " test_base_inspection_level_info[IO_RESULT_PASS_STATE]", def: "io_result_pass_state", input: nestedInput, level: types.InspectionLevelInfo,
			want: `{"status":"SUCCEEDED","output":` + ioResultOutput + `}`},
		{name: "info fail", src: lsScenarios + " test_base_inspection_level_info[BASE_FAIL_STATE]", def: "base_fail_state", input: helloInput, level: types.InspectionLevelInfo,
			want: `{` + failAnswer + `}`},
		{name: "info succeed", src: lsScenarios + " test_base_inspection_level_info[BASE_SUCCEED_STATE]", def: "base_succeed_state", input: helloInput, level: types.InspectionLevelInfo,
			want: `{"status":"SUCCEEDED","output":{"Value":"HelloWorld"}}`},
		{name: "info choice", src: lsScenarios + " test_base_inspection_level_info[BASE_CHOICE_STATE]", def: "base_choice_state", input: choiceInput, level: types.InspectionLevelInfo,
			want: `{"status":"SUCCEEDED","nextState":"ValueInTwenties","output":{"type":"Private","value":22}}`},

		// DEBUG: the data-flow steps.
		{name: "debug pass", src: lsScenarios + " test_base_inspection_level_debug[BASE_PASS_STATE]", def: "base_pass_state", input: helloInput, level: types.InspectionLevelDebug,
			want: passDebug},
		{name: "debug result pass", src: lsScenarios + " test_base_inspection_level_debug[BASE_RESULT_PASS_STATE]", def: "base_result_pass_state", input: helloInput, level: types.InspectionLevelDebug,
			want: `{"status":"SUCCEEDED","output":{"resultKey":"result value"},"inspectionData":{"input":{"Value":"HelloWorld"},"result":{"resultKey":"result value"},"afterResultSelector":{"resultKey":"result value"},"afterResultPath":{"resultKey":"result value"}}}`},
		{name: "debug io pass", src: lsScenarios + " test_base_inspection_level_debug[IO_PASS_STATE]", def: "io_pass_state", input: nestedInput, level: types.InspectionLevelDebug,
			want: `{"status":"SUCCEEDED","output":` + ioPassOutput + `,"inspectionData":{"input":` + nestedInput + `,"afterInputPath":{"fieldFromInput":"value from input","otherField":"other"},"afterParameters":{"staticValue":"some value","inputValue":"value from input"},"afterResultSelector":{"staticValue":"some value","inputValue":"value from input"},"afterResultPath":` + ioPassOutput + `}}`},
		{name: "debug io result pass", src: lsScenarios + " test_base_inspection_level_debug[IO_RESULT_PASS_STATE]", def: "io_result_pass_state", input: nestedInput, level: types.InspectionLevelDebug,
			want: `{"status":"SUCCEEDED","output":` + ioResultOutput + `,"inspectionData":{"input":` + nestedInput + `,"result":{"resultKey":"result value"},"afterResultSelector":{"resultKey":"result value"},"afterResultPath":` + ioResultOutput + `}}`},
		{name: "debug fail", src: lsScenarios + " test_base_inspection_level_debug[BASE_FAIL_STATE]", def: "base_fail_state", input: helloInput, level: types.InspectionLevelDebug,
			want: `{` + failAnswer + `,"inspectionData":{"input":{"Value":"HelloWorld"},"afterInputPath":{"Value":"HelloWorld"}}}`},
		{name: "debug succeed", src: lsScenarios + " test_base_inspection_level_debug[BASE_SUCCEED_STATE]", def: "base_succeed_state", input: helloInput, level: types.InspectionLevelDebug,
			want: `{"status":"SUCCEEDED","output":{"Value":"HelloWorld"},"inspectionData":{"input":{"Value":"HelloWorld"},"afterInputPath":{"Value":"HelloWorld"}}}`},
		{name: "debug choice", src: lsScenarios + " test_base_inspection_level_debug[BASE_CHOICE_STATE]", def: "base_choice_state", input: choiceInput, level: types.InspectionLevelDebug,
			want: `{"status":"SUCCEEDED","nextState":"ValueInTwenties","output":{"type":"Private","value":22},"inspectionData":{"input":{"type":"Private","value":22},"afterInputPath":{"type":"Private","value":22}}}`},

		// TRACE shows what DEBUG does for states other than HTTP Tasks.
		{name: "trace pass", src: lsScenarios + " test_base_inspection_level_trace[BASE_PASS_STATE]", def: "base_pass_state", input: helloInput, level: types.InspectionLevelTrace,
			want: passDebug},

		// A whole state machine with stateName; JSONata; variables.
		{name: "state machine jsonata variables", src: lsScenarios + " test_state_with_variables[base_expressions]", def: "base_expr", stateName: "State0",
			input: `{"input_values": [1, 2, 3]}`, vars: `{"var_input_value": "test_value", "var_constant_1": 10}`, level: types.InspectionLevelTrace, noRole: true,
			want: `{"status":"SUCCEEDED","output":{"ja_states_input":{"input_values":[1,2,3]},"ja_var_access":"test_value","ja_expr":16},"inspectionData":{"input":{"input_values":[1,2,3]},"variables":{"var_input_value":"test_value","var_constant_1":10}}}`},

		// Retry: RETRIABLE while attempts are left, then FAILED (JSONata Task, mocked error).
		{name: "retriable", src: lsConfig + " test_state_configuration_retrier_retry_count[DEBUG] below_tolerated_retry_count_with_backoff", def: "base_task_state_retry",
			input: valuesInput, level: types.InspectionLevelDebug, mock: mockError("MockException", mockErrCause), cfg: retries(4),
			want: `{"status":"RETRIABLE","error":"MockException","cause":"` + mockErrCause + `","inspectionData":{"input":{"Values":["first","second","third"]},` + retryArguments + `,"errorDetails":{"retryIndex":0,"retryBackoffIntervalSeconds":16}}}`},
		{name: "retries exhausted", src: lsConfig + " test_state_configuration_retrier_retry_count[DEBUG] exceeds_tolerated_retry_count", def: "base_task_state_retry",
			input: valuesInput, level: types.InspectionLevelDebug, mock: mockError("MockException", mockErrCause), cfg: retries(5),
			want: `{"status":"FAILED","error":"MockException","cause":"` + mockErrCause + `","inspectionData":{"input":{"Values":["first","second","third"]},` + retryArguments + `,"errorDetails":{"retryIndex":0}}}`},

		// Catch: CAUGHT_ERROR with the catcher's Next and Output.
		{name: "caught", src: lsScenarios + " test_state_task_catch_error[DEBUG] test_catch_mock_exception_response", def: "base_task_state_catch",
			input: helloInput, level: types.InspectionLevelDebug, mock: mockError("MockException", mockErrCause),
			want: `{"status":"CAUGHT_ERROR","nextState":"HandleMockError","error":"MockException","cause":"` + mockErrCause + `","output":{"input":{"Value":"HelloWorld"},"errorOutput":{"Error":"MockException","Cause":"` + mockErrCause + `"}},"inspectionData":{"input":{"Value":"HelloWorld"},` + retryArguments + `,"errorDetails":{"catchIndex":0}}}`},
		{name: "caught task failed", src: lsScenarios + " test_state_task_catch_error[INFO] catch_task_failed_response", def: "base_task_state_catch",
			input: helloInput, mock: mockError("States.TaskFailed", "The task failed."),
			want: `{"status":"CAUGHT_ERROR","nextState":"HandleThreshold","error":"States.TaskFailed","cause":"The task failed.","output":{"input":{"Value":"HelloWorld"},"errorOutput":{"Error":"States.TaskFailed","Cause":"The task failed."}}}`},

		// Map with a mocked result and mapIterationFailureCount.
		{name: "map below tolerance", src: lsConfig + " test_map_state_failure_count[DEBUG-BASE_MAP_STATE_CATCH] below_tolerated_failure", def: "base_map_state_catch",
			input: valuesInput, level: types.InspectionLevelDebug, mock: mockResult("[1, 1, 1]"), cfg: failures(0),
			want: `{"status":"SUCCEEDED","output":[1,1,1],"inspectionData":{` + valuesInspection + `}}`},
		{name: "map tolerance exceeded caught", src: lsConfig + " test_map_state_failure_count[DEBUG-BASE_MAP_STATE_CATCH] exceeds_tolerated_failure", def: "base_map_state_catch",
			input: valuesInput, level: types.InspectionLevelDebug, mock: mockResult("[0, 0, 1]"), cfg: failures(2),
			want: `{"status":"CAUGHT_ERROR","nextState":"HandleThreshold","error":"States.ExceedToleratedFailureThreshold","cause":"The specified tolerated failure threshold was exceeded","output":{"input":{"Values":["first","second","third"]},"errorOutput":{"Error":"States.ExceedToleratedFailureThreshold","Cause":"The specified tolerated failure threshold was exceeded"}},"inspectionData":{` + valuesInspection + `,"errorDetails":{"catchIndex":1}}}`},
		{name: "map tolerance exceeded retriable", src: lsConfig + " test_map_state_failure_count[DEBUG-BASE_MAP_STATE_RETRY] exceeds_tolerated_failure", def: "base_map_state_retry",
			input: valuesInput, level: types.InspectionLevelDebug, mock: mockResult("[0, 0, 1]"), cfg: failures(2),
			want: `{"status":"RETRIABLE","error":"States.ExceedToleratedFailureThreshold","cause":"The specified tolerated failure threshold was exceeded","inspectionData":{` + valuesInspection + `,"errorDetails":{"retryIndex":1,"retryBackoffIntervalSeconds":1}}}`},
		{name: "map jsonata output", src: lsConfig + " test_map_state_failure_count[DEBUG-MAP_TASK_STATE] below_tolerated_failure", def: "map_task_state",
			input: valuesInput, level: types.InspectionLevelDebug, mock: mockResult("[1, 1, 1]"), cfg: failures(0),
			want: `{"status":"SUCCEEDED","output":{"result":["pass","pass","pass"],"successCount":3,"failedCount":0},"inspectionData":{` + valuesInspection + `}}`},
		{name: "map no tolerance", src: lsConfig + " test_map_state_failure_count[INFO-BASE_MAP_STATE] exceeds_tolerated_failure (output without context)", def: "base_map_state",
			input: valuesInput, mock: mockResult("[1, 1, 1]"), cfg: failures(2),
			want: `{"status":"SUCCEEDED","output":` + mapStates + `}`},
		{name: "map jsonpath items", src: lsConfig + " test_state_machine_with_state_error[DEBUG] below_tolerated_failure", def: "base_map_state_machine", stateName: "State0",
			input: valuesInput, level: types.InspectionLevelDebug, mock: mockError("MockException", "Mock the error cause."),
			cfg:  &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(0), ErrorCausedByState: aws.String("HandleItem")},
			want: `{"status":"FAILED","error":"MockException","cause":"Mock the error cause.","inspectionData":{"input":{"Values":["first","second","third"]},"afterInputPath":{"Values":["first","second","third"]},"afterItemsPath":["first","second","third"],"maxConcurrency":0,"toleratedFailureCount":2}}`},

		{name: "map error caused by state", src: lsConfig + " test_map_state_error_caused_by_state[DEBUG]", def: "base_map_state",
			input: `{"Values": [1, 1, 1]}`, level: types.InspectionLevelDebug, mock: mockError("MockException", mockErrCause),
			cfg:  &types.TestStateConfiguration{ErrorCausedByState: aws.String("TestState")},
			want: `{"status":"FAILED","error":"MockException","cause":"` + mockErrCause + `","inspectionData":{"input":{"Values":[1,1,1]},"maxConcurrency":0}}`},

		// Parallel with a mocked result.
		{name: "parallel", src: lsMock + " test_base_parallel_state_mock_success[DEBUG]", def: "base_parallel_state",
			input: `{"key": "value"}`, level: types.InspectionLevelDebug, mock: mockResult(parallelResult),
			want: `{"status":"SUCCEEDED","output":` + parallelResult + `,"inspectionData":{"input":{"key":"value"},"afterResultSelector":` + parallelResult + `,"afterResultPath":` + parallelResult + `}}`},
		{name: "parallel io", src: lsMock + " test_io_parallel_state_mock_success[DEBUG]", def: "io_parallel_state",
			input: `{"parallelInput": {"data": "input_value"}}`, level: types.InspectionLevelDebug, mock: mockResult(parallelResult),
			want: `{"status":"SUCCEEDED","output":` + parallelIO + `,"inspectionData":{"input":{"parallelInput":{"data":"input_value"}},"afterResultSelector":` + parallelResult + `,"afterResultPath":` + parallelIO + `}}`},
		{name: "parallel jsonata", src: lsMock + " test_io_jsonata_parallel_state_mock_success[DEBUG]", def: "io_jsonata_parallel_state",
			input: `{"parallelInput": {"data": "input_value"}}`, level: types.InspectionLevelDebug, mock: mockResult(parallelResult),
			want: `{"status":"SUCCEEDED","output":` + parallelIO + `,"inspectionData":{"input":{"parallelInput":{"data":"input_value"}}}}`},

		// Mocked Task results, checked against the service's response shape.
		{name: "mock lambda invoke", src: lsMock + " test_base_lambda_service_task_mock_success", def: "base_lambda_service_task_state",
			input: `{"FunctionName": "fn", "Payload": null}`, mock: mockResult(`{"Payload": "function output", "SdkHttpMetadata": {"HttpStatusCode": 200}}`),
			want: `{"status":"SUCCEEDED","output":{"Payload":"function output","SdkHttpMetadata":{"HttpStatusCode":200}}}`},
		{name: "mock dynamodb putItem", src: lsMock + " test_io_dynamodb_service_task_mock_success[io]", def: "io_dynamodb_service_task_state",
			input: `{"TableName": "t", "Item": {"data": {"S": "HelloWorld"}, "id": {"S": "id1"}}}`, mock: mockResult(`{"SdkHttpMetadata": {"HttpStatusCode": 200}}`),
			want: `{"status":"SUCCEEDED","output":{"TableName":"t","Item":{"data":{"S":"HelloWorld"},"id":{"S":"id1"}},"putItemOutput":{"SdkHttpMetadata":{"HttpStatusCode":200}}}}`},
		{name: "mock not json", src: lsMock + " test_base_lambda_service_task_mock_is_not_json_string", def: "base_lambda_service_task_state",
			input: `{}`, mock: mockResult(`not json`), wantErr: "ValidationException: Mocked result must be valid JSON"},
		{name: "strict unknown field", src: lsStrict + " test_strict_mode_mock_result_field_not_in_api_spec[field_not_part_of_api_spec]", def: "base_events_put_events",
			input: `{"Entries": []}`, mock: mockResult(`{"random": "json"}`), want: `{"status":"SUCCEEDED","output":{"random":"json"}}`},
		{name: "strict wrong top-level type", src: lsStrict + " test_strict_mode_eventbridge_task[wrong_type_top_level_field]", def: "base_events_put_events",
			input: `{"Entries": []}`, mock: mockResult(`{"Entries": "x"}`), wantErr: "ValidationException: Mock result schema validation error: Field 'Entries' must be an array"},
		{name: "strict wrong nested type", src: lsStrict + " test_strict_mode_eventbridge_task[wrong_type_2nd_array_element]", def: "base_events_put_events",
			input: `{"Entries": []}`, mock: mockResult(`{"Entries": [{"EventId": "a"}, {"EventId": 1}]}`), wantErr: "ValidationException: Mock result schema validation error: Field 'EventId' must be a string"},
		{name: "strict missing required", src: lsStrict + " test_strict_mode_sfn_task[missing_required_fields]", def: "base_sfn_start_execution",
			input: startExecInput, mock: mockResult(`{}`), wantErr: "ValidationException: Mock result schema validation error: Required field 'ExecutionArn' is missing"},
		{name: "strict lambda status code", src: lsStrict + " test_strict_mode_lambda_task[wrong_integer_type_string]", def: "base_lambda_service_task_state",
			input: `{}`, mock: mockResult(`{"StatusCode": "200"}`), wantErr: "ValidationException: Mock result schema validation error: Field 'StatusCode' must be a number"},
		{name: "strict dynamodb capacity", src: lsStrict + " test_strict_mode_dynamodb_task[wrong_float_type_string]", def: "io_dynamodb_service_task_state",
			input: `{"TableName": "t", "Item": {}}`, mock: mockResult(`{"ConsumedCapacity": {"CapacityUnits": "1"}}`), wantErr: "ValidationException: Mock result schema validation error: Field 'CapacityUnits' must be a number"},
		{name: "present missing required", src: lsPresent + " test_present_mode_sfn_task_validation_pass[missing_required_fields]", def: "base_sfn_start_execution",
			input: startExecInput, mock: mockMode(`{}`, types.MockResponseValidationModePresent), want: `{"status":"SUCCEEDED","output":{"targetExecutionResult":{}}}`},
		{name: "present wrong type", src: lsPresent + " test_present_mode_sfn_task_validation_fail[wrong_timestamp_type_bool]", def: "base_sfn_start_execution",
			input: startExecInput, mock: mockMode(`{"ExecutionArn": "a", "StartDate": true}`, types.MockResponseValidationModePresent), wantErr: "ValidationException: Mock result schema validation error: Field 'StartDate' must be a string"},
		{name: "none wrong type", src: lsNone + " test_none_mode_sfn_task[wrong_timestamp_type_bool]", def: "base_sfn_start_execution",
			input: startExecInput, mock: mockMode(`{"ExecutionArn": "stringValueExecutionArn", "StartDate": true}`, types.MockResponseValidationModeNone),
			want: `{"status":"SUCCEEDED","output":{"targetExecutionResult":{"ExecutionArn":"stringValueExecutionArn","StartDate":true}}}`},

		// A given context object.
		{name: "context execution input", src: lsContext + " test_state_task_context_object[EXECUTION_INPUT]", def: "context_task",
			input: `{"FunctionName": "lambda_function_name", "Payload": {"input-value": 0}}`, level: types.InspectionLevelTrace, ctx: fullContext,
			mock: mockResult(`{"pokemon": ["charizard", "pikachu", "bulbasaur"]}`),
			want: `{"status":"SUCCEEDED","output":{"ContextObjectValue":{"input-value":0,"message":"test data","values":["charizard","pikachu","bulbasaur"]},"LambdaOutput":{"pokemon":["charizard","pikachu","bulbasaur"]}},"inspectionData":{"input":{"FunctionName":"lambda_function_name","Payload":{"input-value":0}},"afterInputPath":{"FunctionName":"lambda_function_name","Payload":{"input-value":0}},"afterParameters":{"Payload":{"Input":{"FunctionName":"lambda_function_name","Payload":{"input-value":0}}},"FunctionName":"lambda_function_name"},"result":{"pokemon":["charizard","pikachu","bulbasaur"]},"afterResultSelector":{"ContextObjectValue":{"input-value":0,"message":"test data","values":["charizard","pikachu","bulbasaur"]},"LambdaOutput":{"pokemon":["charizard","pikachu","bulbasaur"]}},"afterResultPath":{"ContextObjectValue":{"input-value":0,"message":"test data","values":["charizard","pikachu","bulbasaur"]},"LambdaOutput":{"pokemon":["charizard","pikachu","bulbasaur"]}}}}`},
		{name: "context map items path", src: lsContext + " test_state_map_context_object[EXECUTION_INPUT_VALUES]", def: "context_map",
			input: `["fire", "electricity", "grass"]`, level: types.InspectionLevelTrace, ctx: fullContext, mock: mockResult(`["CHARIZARD", "PIKACHU", "BULBASAUR"]`),
			want: `{"status":"SUCCEEDED","output":["CHARIZARD","PIKACHU","BULBASAUR"],"inspectionData":{"input":["fire","electricity","grass"],"afterInputPath":["fire","electricity","grass"],"afterItemsPath":["charizard","pikachu","bulbasaur"],"afterResultSelector":["CHARIZARD","PIKACHU","BULBASAUR"],"afterResultPath":["CHARIZARD","PIKACHU","BULBASAUR"],"maxConcurrency":1}}`},
		{name: "context task without callback", src: lsContext + " test_state_context_object_invalid_states[TOKEN_TASK_NOT_SYNC]", def: "context_task",
			input: `{}`, ctx: `{"Task": {"Token": "abcd123"}}`, mock: mockResult(`{}`),
			wantErr: "ValidationException: Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"},
		{name: "context id type", src: lsContext + " test_state_context_object_validation_failures[INVALID_EXECUTION_ID_TYPE]", def: "base_sfn_start_execution",
			input: startExecInput, ctx: `{"Execution": {"Id": 1}}`, mock: mockResult(`{"ExecutionArn": "a", "StartDate": "d"}`),
			wantErr: "ValidationException: Invalid Context object provided: Execution.Id must be a string"},
		{name: "context map", src: lsContext + " test_state_context_object_validation_failures[INVALID_MAP]", def: "base_sfn_start_execution",
			input: startExecInput, ctx: `{"Map": {}}`, mock: mockResult(`{"ExecutionArn": "a", "StartDate": "d"}`),
			wantErr: "ValidationException: Invalid Context object provided: 'Map' field is not supported when mocking a Context object"},
		{name: "context execution field", src: lsContext + " test_state_context_object_validation_failures[INVALID_EXECUTION_FIELD]", def: "base_sfn_start_execution",
			input: startExecInput, ctx: `{"Execution": {"pokemon": "squirtle"}}`, mock: mockResult(`{"ExecutionArn": "a", "StartDate": "d"}`),
			wantErr: "ValidationException: Invalid Context object provided: Field 'pokemon' is not allowed"},
		{name: "context field", src: lsContext + " test_state_context_object_validation_failures[INVALID_FIELD]", def: "base_sfn_start_execution",
			input: startExecInput, ctx: `{"Pokedex": {}}`, mock: mockResult(`{"ExecutionArn": "a", "StartDate": "d"}`),
			wantErr: "ValidationException: Invalid Context object provided: Field 'Pokedex' is not allowed"},

		// Invalid combinations.
		{name: "mock on pass", src: lsMockValid + " test_state_type_does_not_accept_mock[mock_result-PassState]", def: "base_pass_state",
			input: helloInput, mock: mockResult(`{}`), wantErr: "ValidationException: State type 'Pass' is not supported when a mock is specified"},
		{name: "mock error on fail", src: lsMockValid + " test_state_type_does_not_accept_mock[mock_error_output-FailState]", def: "base_fail_state",
			input: helloInput, mock: mockError("E", "c"), wantErr: "ValidationException: State type 'Fail' is not supported when a mock is specified"},
		{name: "map without mock", src: lsMockValid + " test_state_type_requires_mock[MapState]", def: "base_map_state",
			input: valuesInput, wantErr: noMapWithoutMock},
		{name: "parallel without mock", src: lsMockValid + " test_state_type_requires_mock[ParallelState]", def: "base_parallel_state",
			input: `{}`, wantErr: noMapWithoutMock},
		{name: "result and error", src: lsMockValid + " test_both_mock_result_and_mock_error_output_are_set", def: "base_task_state_retry",
			input: `{}`, mock: &types.MockInput{Result: aws.String(`{}`), ErrorOutput: &types.MockErrorOutput{Error: aws.String("E")}},
			wantErr: "ValidationException: A test mock should have only one of the following fields: [result, errorOutput]."},
		{name: "map mock not array", src: lsMockValid + " test_mock_result_is_not_array_on_map_state_without_result_writer", def: "base_map_state",
			input: valuesInput, mock: mockResult(`{}`), wantErr: "ValidationException: Mocked result must be an array."},
		{name: "parallel mock not array", src: lsMockValid + " test_mock_result_is_not_array_on_parallel_state", def: "base_parallel_state",
			input: `{}`, mock: mockResult(`{}`), wantErr: "ValidationException: Mocked result must be an array."},
		{name: "parallel mock size", src: lsMockValid + " test_mock_result_array_size_mismatch_on_parallel_state", def: "base_parallel_state",
			input: `{}`, mock: mockResult(`[1]`), wantErr: "ValidationException: Mocked result must contain the same number of items as number of Parallel branches."},
		{name: "failure count without mock", src: lsMockValid + " test_map_iteration_failure_count_without_mock", def: "base_pass_state",
			input: `{}`, cfg: failures(1), wantErr: "ValidationException: TestState does not support MapIterationFailureCount when a mock is not specified."},
		{name: "failure count above items", src: lsMockValid + " test_map_iteration_failure_count_exceeds_mock_result_items", def: "base_map_state",
			input: valuesInput, mock: mockResult(`[1]`), cfg: failures(2), wantErr: "ValidationException: Map iteration failure count must be less than or equal to the number of Map iterations"},
		{name: "task needs role", src: "LocalStack provider: RoleArn must be specified when testing a Task state", def: "base_task_state_retry",
			input: `{}`, noRole: true, wantErr: "ValidationException: RoleArn must be specified when testing a Task state"},
		{name: "state not found", src: "LocalStack provider: State not found in definition", def: "base_multi_state_machine", stateName: "Missing",
			input: `{}`, wantErr: "ValidationException: State not found in definition"},
		{name: "multi-state without stateName", src: "not recorded: the message is ours", def: "base_multi_state_machine",
			input: `{}`, wantErr: "ValidationException: stateName is required when the definition is a state machine with more than one state"},
		{name: "invalid definition", src: "validator's message, as CreateStateMachine gives it", def: "base_invalid_state_definition",
			input: `{}`, wantErr: "InvalidDefinition: "},
		{name: "parallel without branches", src: lsMockValid + " test_parallel_state_empty_branches", def: "parallel_empty_branches",
			input: `{}`, mock: mockResult(`[]`), wantErr: "InvalidDefinition: Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'"},
	}
}

func TestTestState(t *testing.T) {
	reg := sfn.NewRegistry()
	e := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg})
	c := newSDKClient(t, e)
	for _, tc := range testStateCases() {
		t.Run(tc.name, func(t *testing.T) {
			def, err := os.ReadFile(filepath.Join("testdata", "teststate", tc.def+".json"))
			require.NoError(t, err)
			in := &awssfn.TestStateInput{
				Definition: aws.String(string(def)), Input: aws.String(tc.input), InspectionLevel: tc.level,
				Mock: tc.mock, StateConfiguration: tc.cfg,
			}
			if !tc.noRole {
				in.RoleArn = aws.String(testRoleARN)
			}
			if tc.stateName != "" {
				in.StateName = aws.String(tc.stateName)
			}
			if tc.vars != "" {
				in.Variables = aws.String(tc.vars)
			}
			if tc.ctx != "" {
				in.Context = aws.String(tc.ctx)
			}
			out, err := c.TestState(context.Background(), in)
			if tc.wantErr != "" {
				var ae smithy.APIError
				require.True(t, errors.As(err, &ae), "want %s (%s), got %v", tc.wantErr, tc.src, err)
				assert.Contains(t, ae.ErrorCode()+": "+ae.ErrorMessage(), tc.wantErr, tc.src)
				return
			}
			require.NoError(t, err, tc.src)
			assert.JSONEq(t, tc.want, normalise(t, out), tc.src)
		})
	}
}

// normalise encodes an answer as the snapshots show it: the JSON documents
// it carries as text decoded, and the context object (per-call ARNs and
// dates) left out of outputs that include it.
func normalise(t *testing.T, out *awssfn.TestStateOutput) string {
	t.Helper()
	m := map[string]any{"status": string(out.Status)}
	put := func(m map[string]any, k string, s *string) {
		if s == nil {
			return
		}
		var v any
		require.NoError(t, json.Unmarshal([]byte(*s), &v), "%s is not JSON: %s", k, *s)
		if o, ok := v.(map[string]any); ok {
			delete(o, "context")
			delete(o, "ja_states_context")
		}
		m[k] = v
	}
	for k, s := range map[string]*string{"nextState": out.NextState, "error": out.Error, "cause": out.Cause} {
		if s != nil {
			m[k] = *s
		}
	}
	put(m, "output", out.Output)
	if d := out.InspectionData; d != nil {
		id := map[string]any{}
		for k, s := range map[string]*string{
			"input": d.Input, "afterInputPath": d.AfterInputPath, "afterParameters": d.AfterParameters,
			"afterArguments": d.AfterArguments, "result": d.Result, "afterResultSelector": d.AfterResultSelector,
			"afterResultPath": d.AfterResultPath, "variables": d.Variables, "afterItemsPath": d.AfterItemsPath,
			"afterItemSelector": d.AfterItemSelector, "afterItemBatcher": d.AfterItemBatcher,
		} {
			put(id, k, s)
		}
		if d.MaxConcurrency != nil {
			id["maxConcurrency"] = *d.MaxConcurrency
		}
		if d.ToleratedFailureCount != nil {
			id["toleratedFailureCount"] = *d.ToleratedFailureCount
		}
		if d.ToleratedFailurePercentage != nil {
			id["toleratedFailurePercentage"] = *d.ToleratedFailurePercentage
		}
		if ed := d.ErrorDetails; ed != nil {
			det := map[string]any{}
			for k, v := range map[string]*int32{"catchIndex": ed.CatchIndex, "retryIndex": ed.RetryIndex, "retryBackoffIntervalSeconds": ed.RetryBackoffIntervalSeconds} {
				if v != nil {
					det[k] = *v
				}
			}
			id["errorDetails"] = det
		}
		m["inspectionData"] = id
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

// TestTestStateInvokesResource tests Tasks without a mock: they call the
// Lambda function registered here, as AWS calls the real one.
func TestTestStateInvokesResource(t *testing.T) {
	reg := sfn.NewRegistry()
	reg.RegisterFunction("hello", sfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		return []byte(`"\"HelloWorld!\""`), nil
	}))
	reg.RegisterFunction("boom", sfn.InvokerFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, &sfn.TaskError{Name: "MockException", Cause: "boom"}
	}))
	var sent []byte
	reg.RegisterResource("arn:aws:states:::sqs:sendMessage", sfn.InvokerFunc(func(_ context.Context, p []byte) ([]byte, error) {
		sent = p
		return []byte(`{"MessageId": "m-1", "MD5OfMessageBody": "x"}`), nil
	}))
	e := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012", Invokers: reg, Clock: sfn.NewFakeClock(time.Unix(0, 0))})
	c := newSDKClient(t, e)
	cases := []struct {
		name, src, def, input string
		level                 types.InspectionLevel
		want                  string
	}{
		{name: "lambda function", src: lsScenarios + " test_base_lambda_task_state[DEBUG]",
			def: `{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hello", "End": true}`, input: `{"inputData": "HelloWorld"}`,
			level: types.InspectionLevelDebug,
			want:  `{"status":"SUCCEEDED","output":"\"HelloWorld!\"","inspectionData":{"input":{"inputData":"HelloWorld"},"afterInputPath":{"inputData":"HelloWorld"},"afterParameters":{"inputData":"HelloWorld"},"result":"\"HelloWorld!\"","afterResultSelector":"\"HelloWorld!\"","afterResultPath":"\"HelloWorld!\""}}`},
		{name: "lambda invoke envelope", src: "our lambda:invoke result envelope (StatusCode 200, Payload)",
			def:   `{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "hello"}, "OutputPath": "$.StatusCode", "Next": "After"}`,
			input: `{}`, want: `{"status":"SUCCEEDED","nextState":"After","output":200}`},
		{name: "function error caught", src: "Catch of a real error, JSONPath ResultPath",
			def:   `{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:boom", "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handler"}], "End": true}`,
			input: `{"a": 1}`, level: types.InspectionLevelDebug,
			want: `{"status":"CAUGHT_ERROR","nextState":"Handler","error":"MockException","cause":"boom","output":{"a":1,"err":{"Error":"MockException","Cause":"boom"}},"inspectionData":{"input":{"a":1},"afterInputPath":{"a":1},"afterParameters":{"a":1},"errorDetails":{"catchIndex":0}}}`},
		{name: "unknown function", src: "Lambda.ResourceNotFoundException as an execution gets it",
			def:   `{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName.$": "$.fn"}, "End": true}`,
			input: `{"fn": "nope"}`, want: `{"status":"FAILED","error":"Lambda.ResourceNotFoundException","cause":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"}`},
		{name: "service integration", src: "a registered integration runs, as the service would answer",
			def:   `{"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"QueueUrl": "q", "MessageBody.$": "$.m"}, "ResultSelector": {"id.$": "$.MessageId"}, "End": true}`,
			input: `{"m": "hi"}`, want: `{"status":"SUCCEEDED","output":{"id":"m-1"}}`},
		{name: "wait does not wait", src: "Wait answers at once",
			def: `{"Type": "Wait", "Seconds": 3600, "Next": "Later"}`, input: `{"x": 1}`, want: `{"status":"SUCCEEDED","nextState":"Later","output":{"x":1}}`},
		{name: "assign variables", src: "variables after Assign (JSONPath)",
			def:   `{"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Assign": {"seen.$": "$.n"}, "ResultPath": "$.p", "End": true}`,
			input: `{"n": 5}`, level: types.InspectionLevelDebug,
			want: `{"status":"SUCCEEDED","output":{"n":5,"p":{"n":5}},"inspectionData":{"input":{"n":5},"afterInputPath":{"n":5},"afterParameters":{"n":5},"afterResultSelector":{"n":5},"afterResultPath":{"n":5,"p":{"n":5}},"variables":{"seen":5}}}`},
		{name: "no choice matched", src: "States.NoChoiceMatched fails the state",
			def: `{"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "One"}]}`, input: `{"v": 2}`,
			want: `{"status":"FAILED","error":"States.NoChoiceMatched","cause":"No Matches!"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.TestState(context.Background(), &awssfn.TestStateInput{
				Definition: aws.String(tc.def), RoleArn: aws.String(testRoleARN), Input: aws.String(tc.input), InspectionLevel: tc.level,
			})
			require.NoError(t, err, tc.src)
			assert.JSONEq(t, tc.want, normalise(t, out), tc.src)
		})
	}
	assert.JSONEq(t, `{"QueueUrl": "q", "MessageBody": "hi"}`, string(sent), "the integration got the effective input")
}

// TestTestStateRoleARN checks a given roleArn as CreateStateMachine does,
// and that a mocked Task needs none.
func TestTestStateRoleARN(t *testing.T) {
	e := sfn.New(sfn.Config{Region: "us-east-1", AccountID: "123456789012"})
	c := newSDKClient(t, e)
	def := `{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "f"}, "QueryLanguage": "JSONata", "End": true}`
	_, err := c.TestState(context.Background(), &awssfn.TestStateInput{Definition: aws.String(def), RoleArn: aws.String("not-a-role"), Mock: mockResult(`{}`)})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "InvalidArn", ae.ErrorCode())
	out, err := c.TestState(context.Background(), &awssfn.TestStateInput{Definition: aws.String(def), Mock: mockResult(`{"StatusCode": 200}`)})
	require.NoError(t, err)
	assert.Equal(t, types.TestExecutionStatusSucceeded, out.Status)
	assert.JSONEq(t, `{"StatusCode": 200}`, aws.ToString(out.Output))
}
