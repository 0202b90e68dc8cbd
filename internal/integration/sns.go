package integration

import (
	"context"
	"errors"
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

func registerSNS(r *registrar, c sdkClient) {
	r.add("sns", "publish", true, func(ctx context.Context, params []byte) ([]byte, error) {
		req, err := textField(params, "Message")
		if err != nil {
			return nil, &sfn.TaskError{Name: "SNS.AmazonSNSException", Cause: "invalid Publish request: " + err.Error()}
		}
		answer, resp, err := c.invoke(ctx, "publish", req)
		if err != nil {
			return nil, snsError(err)
		}
		return withMetadata(answer, resp)
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
