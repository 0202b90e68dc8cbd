package integration

import (
	"context"
	"errors"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// dynamoDBOptimized are the optimized DynamoDB integration's actions.
var dynamoDBOptimized = []string{"getItem", "putItem", "updateItem", "deleteItem"}

// dynamoDBSDK are the DynamoDB actions the AWS SDK integration serves
// here: those dynalite implements.
var dynamoDBSDK = []string{
	"batchGetItem", "batchWriteItem", "createTable", "deleteItem", "deleteTable", "describeTable",
	"describeTimeToLive", "getItem", "listTables", "listTagsOfResource", "putItem", "query", "scan",
	"tagResource", "untagResource", "updateItem", "updateTable", "updateTimeToLive",
}

func registerDynamoDB(r *registrar, svc jsonService) {
	for _, action := range dynamoDBOptimized {
		op := upperFirst(action)
		r.add("dynamodb", action, false, func(ctx context.Context, params []byte) ([]byte, error) {
			out, resp, err := svc.call(ctx, op, params)
			if err != nil {
				return nil, dynamoDBError(err, "DynamoDB", "AmazonDynamoDBv2")
			}
			result, err := objectOf(out)
			if err != nil {
				return nil, fmt.Errorf("dynamodb %s: %w", op, err)
			}
			return withMetadata(result, resp)
		})
	}
	for _, action := range dynamoDBSDK {
		op := upperFirst(action)
		r.add("aws-sdk:dynamodb", action, true, func(ctx context.Context, params []byte) ([]byte, error) {
			out, _, err := svc.call(ctx, op, params)
			if err != nil {
				return nil, sdkError(err, "DynamoDb")
			}
			return out, nil
		})
	}
}

// dynamoDBError names a DynamoDB failure as the optimized integration
// does: DynamoDB.<Code>, with the Java SDK v1's cause text.
func dynamoDBError(err error, prefix, service string) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return &sfn.TaskError{Name: prefix + ".AmazonDynamoDBException", Cause: err.Error()}
	}
	return &sfn.TaskError{Name: prefix + "." + ae.Code, Cause: fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)",
		ae.Message, service, ae.Status, ae.Code, ae.RequestID)}
}

// sdkError names a failure as AWS SDK integrations do:
// <ServiceId>.<Code>Exception, with the Java SDK v2's cause text.
func sdkError(err error, serviceID string) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return &sfn.TaskError{Name: serviceID + "." + serviceID + "Exception", Cause: err.Error()}
	}
	return &sfn.TaskError{Name: serviceID + "." + withException(ae.Code),
		Cause: fmt.Sprintf("%s (Service: %s, Status Code: %d, Request ID: %s)", ae.Message, serviceID, ae.Status, ae.RequestID)}
}
