package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Endpoint is a local service's address and the client to reach it.
type Endpoint struct {
	URL    string
	Client *http.Client // nil: http.DefaultClient
}

// sqsSDK are the SQS actions the AWS SDK integration serves here: those
// the local SQS implements.
var sqsSDK = []string{
	"changeMessageVisibility", "createQueue", "deleteMessage", "deleteMessageBatch", "deleteQueue",
	"getQueueAttributes", "getQueueUrl", "listQueues", "purgeQueue", "receiveMessage", "sendMessage",
	"sendMessageBatch", "setQueueAttributes",
}

func registerSQS(r *registrar, svc jsonService) {
	r.add("sqs", "sendMessage", true, func(ctx context.Context, params []byte) ([]byte, error) {
		req, err := textField(params, "MessageBody")
		if err != nil {
			return nil, &sfn.TaskError{Name: "SQS.AmazonSQSException", Cause: "invalid SendMessage request: " + err.Error()}
		}
		out, resp, err := svc.call(ctx, "SendMessage", req)
		if err != nil {
			return nil, sqsError(err)
		}
		result, err := objectOf(out)
		if err != nil {
			return nil, fmt.Errorf("sqs sendMessage: %w", err)
		}
		return withMetadata(result, resp)
	})
	for _, action := range sqsSDK {
		op := upperFirst(action)
		r.add("aws-sdk:sqs", action, true, func(ctx context.Context, params []byte) ([]byte, error) {
			out, _, err := svc.call(ctx, op, params)
			if err != nil {
				return nil, sdkError(err, "Sqs")
			}
			return out, nil
		})
	}
}

// sqsError names an SQS failure as the optimized integration does (the
// Java SDK v1 behind it speaks SQS's query protocol, so the error code is
// the query one, e.g. AWS.SimpleQueueService.NonExistentQueue).
func sqsError(err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return &sfn.TaskError{Name: "SQS.AmazonSQSException", Cause: err.Error()}
	}
	code := ae.Code
	if ae.QueryCode != "" {
		code = ae.QueryCode
	}
	return &sfn.TaskError{Name: "SQS.AmazonSQSException", Cause: fmt.Sprintf("%s (Service: AmazonSQS; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)",
		ae.Message, ae.Status, code, ae.RequestID)}
}

// queryErrorCode reads SQS's x-amzn-query-error header: "Code;Sender".
func queryErrorCode(h http.Header) string {
	code, _, _ := strings.Cut(h.Get("X-Amzn-Query-Error"), ";")
	return code
}
