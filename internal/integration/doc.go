// Package integration runs Step Functions' service integrations against the
// local runtime's own services, as AWS runs them against the real ones: a
// Task whose Resource is arn:aws:states:::dynamodb:putItem writes to the
// runtime's DynamoDB (dynalite), sqs:sendMessage and sns:publish reach the
// local SQS and SNS, arn:aws:states:::events:putEvents reaches the rules
// read from serverless.yml, arn:aws:states:::states:startExecution starts a
// child execution on the same engine (fire and forget, .sync, .sync:2), and
// the AWS SDK integrations (arn:aws:states:::aws-sdk:<service>:<action>,
// for dynamodb, s3, sqs, sns and sfn:startExecution) call the local
// endpoints.
//
// Register adds one sfn.Invoker per Resource string the runtime serves, so
// a definition naming any other integration is refused when its state
// machine is created, with the Resource named, as before. The request is the
// state's effective Parameters (or JSONata Arguments), in the service API's
// PascalCase shapes; the result and the errors are shaped as Step Functions
// shapes them:
//
//   - optimized integrations return the API's answer plus SdkHttpMetadata
//     and SdkResponseMetadata, read from the local service's real response;
//     errors are named "<Service>.<Code>" as AWS names them per service
//     (DynamoDB.ConditionalCheckFailedException, SQS.AmazonSQSException,
//     SNS.NotFoundException, EventBridge.FailedEntry,
//     StepFunctions.ExecutionAlreadyExistsException), with AWS's cause text;
//   - AWS SDK integrations return the API's answer alone, and name errors
//     "<ServiceId>.<Code>Exception" (DynamoDb.ResourceNotFoundException,
//     S3.NoSuchKeyException);
//   - a Resource ending in .waitForTaskToken sends the request, then the
//     task waits for SendTaskSuccess or SendTaskFailure with its token.
//
// The calls go through the same clients as the handlers' (so --fault-store
// applies to them alike), signed with SigV4 as the SDKs sign them; Config.Wrap
// gives each integration's invoker the runtime's task faults (--fault), by
// the names Targets lists. Register before a durable engine opens (it
// resolves the machines it loads), with a LateEngine for StepFunctions.
package integration
