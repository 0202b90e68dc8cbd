package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

func registerSNS(r *registrar, c sdkClient) {
	r.add("sns", "publish", true, func(ctx context.Context, params []byte) ([]byte, error) {
		req, err := objectOf(params)
		if err != nil {
			return nil, &sfn.TaskError{Name: "SNS.AmazonSNSException", Cause: "invalid Publish request: " + err.Error()}
		}
		// Step Functions sends a Message given as JSON as its text.
		if msg, ok := req["Message"]; ok {
			req["Message"], _ = json.Marshal(textOf(msg))
		}
		b, err := json.Marshal(req)
		if err != nil {
			return nil, fmt.Errorf("sns publish: %w", err)
		}
		answer, resp, err := c.invoke(ctx, "publish", b)
		if err != nil {
			return nil, snsError(err)
		}
		result := make(map[string]json.RawMessage, len(answer))
		for k, v := range answer {
			result[k], _ = json.Marshal(v)
		}
		if resp == nil {
			return json.Marshal(result)
		}
		return withMetadata(result, resp)
	})
	registerSDK(r, "sns", c)
}

// snsError names an SNS failure as the optimized integration does:
// SNS.<Code>Exception, with the Java SDK v1's cause text.
func snsError(err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return &sfn.TaskError{Name: "SNS.AmazonSNSException", Cause: err.Error()}
	}
	return &sfn.TaskError{Name: "SNS." + withException(ae.Code), Cause: fmt.Sprintf("%s (Service: AmazonSNS; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)",
		ae.Message, ae.Status, ae.Code, ae.RequestID)}
}
