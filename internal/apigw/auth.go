package apigw

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/asyncjobs/stepjobs/internal/reqschema"
)

// enforced reports whether the route's authorization is applied locally:
// TOKEN authorizers are, with Config.Lambda to call their functions; IAM,
// Cognito and REQUEST authorizers and API keys are not.
func (g *Gateway) enforced(rc Route) bool {
	if rc.APIKeyRequired {
		return false
	}
	if rc.Authorizer == nil {
		return true
	}
	return rc.Authorizer.Type == "TOKEN" && rc.Authorizer.identityHeader() != "" && g.cfg.Lambda != nil
}

// authorize applies the route's TOKEN authorizer; nil means go on.
func (g *Gateway) authorize(c *call) *response {
	a := c.rt.cfg.Authorizer
	if a == nil || !g.enforced(c.rt.cfg) {
		return nil
	}
	token := c.r.Header.Get(a.identityHeader())
	if strings.TrimSpace(token) == "" {
		// API Gateway answers this itself, without calling the authorizer.
		return g.gatewayError(c, "UNAUTHORIZED", "Unauthorized")
	}
	d := g.callAuthorizer(c, *a, token)
	if !d.Allowed {
		typ := d.ResponseType
		if _, known := gatewayErrorDefaults[typ]; !known {
			typ = "ACCESS_DENIED"
		}
		// The type's status is API Gateway's (401, 403, 500), as d.Status.
		return g.gatewayError(c, typ, d.Message)
	}
	ctx := map[string]any{}
	for k, v := range d.Context {
		ctx[k] = v
	}
	c.setContext("authorizer", ctx)
	return nil
}

// callAuthorizer invokes the authorizer function with API Gateway's TOKEN
// event and decides on its answer as API Gateway does (Evaluate).
func (g *Gateway) callAuthorizer(c *call, a Authorizer, token string) Decision {
	arn := g.methodARN(c)
	key := authKey{authorizer: a.Name + "\x00" + a.Function, token: token}
	if a.ResultTTL > 0 {
		if resp, ok := g.authCache.get(key, g.cfg.Now()); ok {
			return Evaluate(resp, nil, arn)
		}
	}
	payload, err := json.Marshal(events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: token, MethodArn: arn})
	if err != nil {
		g.log.Error("authorizer failed", "requestId", c.requestID, "authorizer", a.Name, "err", err)
		return Decision{Status: 500, ResponseType: "AUTHORIZER_FAILURE"}
	}
	out, err := g.cfg.Lambda.Invoke(c.r.Context(), a.Function, payload)
	var resp events.APIGatewayCustomAuthorizerResponse
	if err == nil {
		if uerr := json.Unmarshal(out, &resp); uerr != nil {
			err = fmt.Errorf("authorizer answer: %w", uerr)
		}
	}
	if err == nil && a.ResultTTL > 0 {
		g.authCache.put(key, resp, g.cfg.Now(), a.ResultTTL)
	}
	d := Evaluate(resp, functionError(err), arn)
	if err != nil && d.Status == 500 {
		g.log.Error("authorizer failed", "requestId", c.requestID, "authorizer", a.Name, "err", err)
	}
	return d
}

// functionError is a function's error as API Gateway sees it: the error
// message the function returned (a process-mode function reports it as a
// messages.InvokeResponse_Error).
func functionError(err error) error {
	var v messages.InvokeResponse_Error
	if errors.As(err, &v) {
		return errors.New(v.Message)
	}
	var p *messages.InvokeResponse_Error
	if errors.As(err, &p) && p != nil {
		return errors.New(p.Message)
	}
	return err
}

// methodARN is the execute-api ARN of the request being authorized: of the
// path as routed ("/dev//x" is "/dev/x"), so a policy on the resource
// matches it.
func (g *Gateway) methodARN(c *call) string {
	segs := dropEmptyLead(c.pathSegments(g))
	return "arn:aws:execute-api:" + g.cfg.Region + ":" + g.cfg.AccountID + ":" + g.cfg.APIID + "/" +
		g.cfg.Stage + "/" + c.r.Method + "/" + strings.Join(segs, "/")
}

// compileSchemas compiles the route's request.schemas.
func (rt *route) compileSchemas() error {
	for ct, doc := range rt.cfg.RequestSchemas {
		s, err := reqschema.Compile(rt.cfg.Method+" "+rt.cfg.Path+" "+ct, doc)
		if err != nil {
			return err
		}
		if rt.schemas == nil {
			rt.schemas = map[string]*reqschema.Schema{}
		}
		rt.schemas[ct] = s
	}
	return nil
}

// validate applies the route's request validator: the body against the
// schema of its content type (none sent means application/json); a content
// type without a schema is not validated. nil means go on.
func (g *Gateway) validate(c *call, body []byte) *response {
	if len(c.rt.schemas) == 0 {
		return nil
	}
	ct := mediaType(c.r.Header.Get("Content-Type"))
	if ct == "" {
		ct = "application/json"
	}
	s := c.rt.schemas[ct]
	if s == nil {
		return nil
	}
	err := s.Validate(body)
	var ve *reqschema.ValidationError
	if errors.As(err, &ve) {
		c.validationError = ve.ValidationErrorString()
		g.log.Info("request body failed validation", "requestId", c.requestID, "validationErrorString", c.validationError)
		return g.gatewayError(c, "BAD_REQUEST_BODY", reqschema.Message)
	}
	if err != nil {
		g.log.Error("request validator failed", "requestId", c.requestID, "err", err)
		return g.gatewayError(c, "API_CONFIGURATION_ERROR", "Internal server error")
	}
	return nil
}
