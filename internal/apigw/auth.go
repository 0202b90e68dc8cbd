package apigw

import (
	"context"
	"errors"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/reqschema"
	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// Authorizer answers for a route's Lambda authorizer as API Gateway would
// after calling it: the local runtime calls the authorizer function itself
// and applies API Gateway's rules to its answer (Evaluate).
type Authorizer interface {
	Authorize(ctx context.Context, req AuthorizerRequest) (AuthorizerDecision, error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, req AuthorizerRequest) (AuthorizerDecision, error)

// Authorize implements Authorizer.
func (f AuthorizerFunc) Authorize(ctx context.Context, req AuthorizerRequest) (AuthorizerDecision, error) {
	return f(ctx, req)
}

// AuthorizerRequest is one TOKEN authorizer call.
type AuthorizerRequest struct {
	// Authorizer is the route's authorizer setting.
	Authorizer slsconfig.Authorizer
	// Token is the identity source's value (the Authorization header as
	// sent, "Bearer ..." included). Never empty: a request without it is
	// answered 401 before any authorizer is called, as API Gateway does.
	Token string
	// MethodARN is arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>.
	MethodARN string
}

// AuthorizerDecision is API Gateway's decision for a request.
type AuthorizerDecision struct {
	// Allowed lets the request go on.
	Allowed bool
	// Status, ResponseType and Message are the gateway response when not
	// allowed (401 UNAUTHORIZED, 403 ACCESS_DENIED, 500
	// AUTHORIZER_FAILURE or AUTHORIZER_CONFIGURATION_ERROR). An empty
	// Message answers {"message": null}, as AWS does for a failed authorizer.
	Status       int
	ResponseType string
	Message      string
	// Context is $context.authorizer (principalId and the context values).
	Context map[string]any
}

// enforced reports whether the route's authorization is applied locally:
// TOKEN authorizers are, with an Authorizer configured; IAM, Cognito and
// REQUEST authorizers and API keys are not.
func (g *Gateway) enforced(rc slsconfig.Route) bool {
	if rc.Private {
		return false
	}
	if rc.Authorizer == nil {
		return true
	}
	return rc.Authorizer.Type == "TOKEN" && rc.Authorizer.IdentityHeader() != "" && g.cfg.Authorizer != nil
}

// authorize applies the route's TOKEN authorizer; nil means go on.
func (g *Gateway) authorize(c *call) *response {
	a := c.rt.cfg.Authorizer
	if a == nil || !g.enforced(c.rt.cfg) {
		return nil
	}
	token := c.r.Header.Get(a.IdentityHeader())
	if strings.TrimSpace(token) == "" {
		// API Gateway answers this itself, without calling the authorizer.
		return g.gatewayError(c, "UNAUTHORIZED", "Unauthorized")
	}
	d, err := g.cfg.Authorizer.Authorize(c.r.Context(), AuthorizerRequest{Authorizer: *a, Token: token, MethodARN: g.methodARN(c)})
	if err != nil {
		g.log.Error("authorizer failed", "requestId", c.requestID, "authorizer", a.Name, "err", err)
		return g.gatewayError(c, "AUTHORIZER_FAILURE", "")
	}
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
	c.ctx["authorizer"] = ctx
	return nil
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
