package apigw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxPayloadBytes is API Gateway's request payload limit (10 MB).
const MaxPayloadBytes = 10 << 20

// Integration calls the backend of an AWS integration: a Step Functions
// action with the rendered request body. It answers the backend's HTTP
// status and body; an error means no answer (transport failure).
type Integration interface {
	Call(ctx context.Context, action string, body []byte) (status int, respBody []byte, err error)
}

// IntegrationFunc adapts a function to Integration.
type IntegrationFunc func(ctx context.Context, action string, body []byte) (int, []byte, error)

// Call implements Integration.
func (f IntegrationFunc) Call(ctx context.Context, action string, body []byte) (int, []byte, error) {
	return f(ctx, action, body)
}

// Config configures a Gateway.
type Config struct {
	// Stage is the stage name ($context.stage, and the path prefix).
	Stage string
	// PathPrefix is the URL path the API is served under. Empty means
	// "/<Stage>", as in an execute-api URL; "/" serves at the root.
	PathPrefix string
	// Routes are the API's methods.
	Routes []Route
	// GatewayResponses customize the gateway's own errors by response type;
	// may be nil.
	GatewayResponses map[string]GatewayResponse
	// Integration answers the AWS integrations. Required.
	Integration Integration
	// DynamoDB answers the AWS integrations of ServiceDynamoDB routes;
	// required when there are such routes.
	DynamoDB Integration
	// Parse parses mapping templates; nil means VTLParser.
	Parse TemplateParser
	// StageVariables are $stageVariables.
	StageVariables map[string]string
	// AccountID and APIID fill $context.accountId and $context.apiId.
	AccountID, APIID string
	// Logger logs one line per request; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewRequestID makes $context.requestId; nil means a random UUID.
	NewRequestID func() string
	// Region is the region of the methodArn an authorizer sees; empty
	// means us-east-1.
	Region string
	// Lambda invokes the functions of the routes' TOKEN authorizers and of
	// Lambda proxy routes; required when there are proxy routes. nil
	// leaves the authorizers unenforced (logged at start).
	Lambda LambdaInvoker
}

// Gateway is an http.Handler serving the configured routes.
type Gateway struct {
	cfg       Config
	prefix    []string
	resources []*resource
	gwResp    map[string]*gatewayResponse
	log       *slog.Logger
	authCache authCache
}

type integrationResponse struct {
	cfg       IntegrationResponse
	pattern   *regexp.Regexp // nil for the default response
	templates map[string]Template
	// headerParams are cfg.ResponseParameters' method.response.header.*,
	// in the order of their names.
	headerParams []headerParam
}

// headerParam is a response header and the source of its value.
type headerParam struct{ header, src string }

// selectResponse is the integration response for an integration's status:
// the first whose selection pattern matches it, else the first default;
// nil if none.
func selectResponse(responses []*integrationResponse, status int) *integrationResponse {
	code := strconv.Itoa(status)
	var chosen, def *integrationResponse
	for _, ir := range responses {
		if ir.pattern == nil {
			if def == nil {
				def = ir
			}
			continue
		}
		if chosen == nil && ir.pattern.MatchString(code) {
			chosen = ir
		}
	}
	if chosen == nil {
		chosen = def
	}
	return chosen
}

type gatewayResponse struct {
	cfg       GatewayResponse
	templates map[string]Template
}

// New checks the configuration and parses every template, so that a broken
// template is a start-up error naming its route and content type.
func New(cfg Config) (*Gateway, error) {
	if cfg.Integration == nil {
		return nil, errors.New("apigw: no integration")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Parse == nil {
		cfg.Parse = VTLParser
	}
	if cfg.Stage == "" {
		return nil, errors.New("apigw: no stage")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewRequestID == nil {
		cfg.NewRequestID = newUUID
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.APIID == "" {
		cfg.APIID = "local"
	}
	prefix := cfg.PathPrefix
	if prefix == "" {
		prefix = "/" + cfg.Stage
	}
	g := &Gateway{cfg: cfg, log: cfg.Logger, gwResp: map[string]*gatewayResponse{}}
	g.prefix, _ = splitRequestPath(prefix)

	var routes []*route
	for _, rc := range cfg.Routes {
		name := rc.Method + " " + rc.Path
		rt := &route{cfg: rc, requestTemplates: map[string]Template{}}
		for ct, src := range rc.RequestTemplates {
			if src == "" {
				continue // an empty template passes the body through
			}
			t, err := cfg.Parse(name+" request "+ct, src)
			if err != nil {
				return nil, fmt.Errorf("apigw: %s: request template %s: %w", name, ct, err)
			}
			rt.requestTemplates[ct] = t
		}
		for _, resp := range rc.Responses {
			ir := &integrationResponse{cfg: resp, templates: map[string]Template{}}
			if resp.SelectionPattern != "" {
				re, err := regexp.Compile("^(?:" + resp.SelectionPattern + ")$")
				if err != nil {
					return nil, fmt.Errorf("apigw: %s: response %d: selection pattern: %w", name, resp.StatusCode, err)
				}
				ir.pattern = re
			}
			for _, name := range sortedKeys(resp.ResponseParameters) {
				if header, ok := strings.CutPrefix(name, "method.response.header."); ok {
					ir.headerParams = append(ir.headerParams, headerParam{header: header, src: resp.ResponseParameters[name]})
				}
			}
			for ct, src := range resp.ResponseTemplates {
				if src == "" {
					continue // an empty template passes the body through
				}
				t, err := cfg.Parse(fmt.Sprintf("%s response %d %s", name, resp.StatusCode, ct), src)
				if err != nil {
					return nil, fmt.Errorf("apigw: %s: response %d template %s: %w", name, resp.StatusCode, ct, err)
				}
				ir.templates[ct] = t
			}
			rt.responses = append(rt.responses, ir)
		}
		if rc.Integration == IntegrationAWS && rc.Service == ServiceDynamoDB && cfg.DynamoDB == nil {
			return nil, fmt.Errorf("apigw: %s: a DynamoDB route needs Config.DynamoDB", name)
		}
		if rc.Integration == IntegrationAWSProxy && cfg.Lambda == nil {
			return nil, fmt.Errorf("apigw: %s: a Lambda proxy route needs Config.Lambda", name)
		}
		for status := range rt.byStatus {
			rt.byStatus[status] = selectResponse(rt.responses, status)
		}
		if err := rt.compileSchemas(); err != nil {
			return nil, fmt.Errorf("apigw: %s: %w", name, err)
		}
		if !g.enforced(rc) {
			g.log.Warn("route authorization is not enforced locally", "method", rc.Method, "path", rc.Path)
		}
		routes = append(routes, rt)
	}
	g.resources = buildResources(routes)
	for typ, gr := range cfg.GatewayResponses {
		r := &gatewayResponse{cfg: gr, templates: map[string]Template{}}
		for ct, src := range gr.ResponseTemplates {
			t, err := cfg.Parse("gateway response "+typ+" "+ct, src)
			if err != nil {
				return nil, fmt.Errorf("apigw: gateway response %s template %s: %w", typ, ct, err)
			}
			r.templates[ct] = t
		}
		g.gwResp[typ] = r
	}
	return g, nil
}

// response is an answer being built; it is written once, at the end.
type response struct {
	status  int
	headers http.Header
	body    []byte
}

// call is one request's state.
type call struct {
	r         *http.Request
	requestID string
	start     time.Time
	ctx       map[string]any
	// prepared is ctx converted for the VTL templates; set ctx's keys
	// through setContext, which drops it.
	prepared preparedContext
	tmplReq  TemplateRequest
	res      *resource
	rt       *route
	// validationError is $context.error.validationErrorString.
	validationError string
}

// setContext sets a $context key, and drops the converted $context so the
// next template sees the change.
func (c *call) setContext(k string, v any) {
	c.ctx[k] = v
	c.prepared.v = nil
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r, requestID: g.cfg.NewRequestID(), start: g.cfg.Now()}
	resp := g.serve(c)
	for k, vs := range resp.headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("x-amzn-RequestId", c.requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.body)
	}
	if !g.log.Enabled(r.Context(), slog.LevelInfo) {
		return // spares building the line's attributes
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", resp.status,
		"latency", g.cfg.Now().Sub(c.start), "requestId", c.requestID}
	if c.rt != nil {
		attrs = append(attrs, "resource", c.rt.cfg.Path, "action", c.rt.cfg.Action)
	}
	g.log.Info("request", attrs...)
}

// serve answers one request; a panic anywhere becomes API Gateway's 500.
func (g *Gateway) serve(c *call) (resp *response) {
	defer func() {
		if p := recover(); p != nil {
			g.log.Error("panic serving request", "requestId", c.requestID, "panic", fmt.Sprint(p))
			resp = g.fallbackError(http.StatusInternalServerError, "Internal server error")
		}
	}()
	r := c.r
	segs, ok := splitRequestPath(r.URL.EscapedPath())
	if !ok || !hasPrefix(segs, g.prefix) {
		// An unknown stage is refused before any API is selected.
		return g.fallbackError(http.StatusForbidden, "Forbidden")
	}
	segs = dropEmptyLead(segs[len(g.prefix):])
	c.ctx = g.baseContext(c)
	c.tmplReq = TemplateRequest{Headers: g.requestHeaders(c), Query: singleQuery(r), Path: map[string]string{}}

	res, params := findResource(g.resources, segs)
	if res == nil {
		return g.gatewayError(c, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
	}
	c.res = res
	c.tmplReq.Path = params
	c.setContext("resourcePath", res.path)
	c.setContext("resourceId", resourceID(res.path))
	rt := res.method(r.Method)
	if rt == nil {
		return g.gatewayError(c, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
	}
	c.rt = rt

	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes+1))
	if err != nil {
		return g.gatewayError(c, "BAD_REQUEST_BODY", "Invalid request body")
	}
	if len(body) > MaxPayloadBytes {
		return g.gatewayError(c, "REQUEST_TOO_LARGE", "Request Too Long")
	}
	c.tmplReq.Body = body

	if rt.cfg.Integration == IntegrationMock {
		return g.integrationResponse(c, http.StatusOK, nil)
	}
	// As API Gateway: the authorizer, then the request validator, then
	// the integration.
	if resp := g.authorize(c); resp != nil {
		return resp
	}
	if resp := g.validate(c, body); resp != nil {
		return resp
	}
	if rt.cfg.Integration == IntegrationAWSProxy {
		return g.proxy(c, body)
	}

	integrationBody, ok, err := g.requestBody(c, body)
	if !ok {
		return g.gatewayError(c, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type")
	}
	if errors.Is(err, ErrInvalidJSONBody) {
		return g.gatewayError(c, "BAD_REQUEST_BODY", invalidJSONMessage(err))
	}
	if err != nil {
		g.log.Error("request template failed", "requestId", c.requestID, "err", err)
		return g.gatewayError(c, "API_CONFIGURATION_ERROR", "Internal server error")
	}

	ctx, cancel := context.WithTimeout(r.Context(), rt.timeout())
	defer cancel()
	integ := g.cfg.Integration
	if rt.cfg.Service == ServiceDynamoDB {
		integ = g.cfg.DynamoDB
	}
	status, out, err := integ.Call(ctx, rt.cfg.Action, integrationBody)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return g.gatewayError(c, "INTEGRATION_TIMEOUT", "Endpoint request timed out")
		}
		g.log.Error("integration failed", "requestId", c.requestID, "action", rt.cfg.Action, "err", err)
		return g.gatewayError(c, "API_CONFIGURATION_ERROR", "Internal server error")
	}
	return g.integrationResponse(c, status, out)
}

// requestBody renders the request template chosen by content type. It
// reports false for 415 (no template and no passthrough).
func (g *Gateway) requestBody(c *call, body []byte) ([]byte, bool, error) {
	rt := c.rt
	ct := mediaType(c.r.Header.Get("Content-Type"))
	if ct == "" {
		ct = "application/json" // API Gateway's assumption when none is sent
	}
	t, found := rt.requestTemplates[ct]
	if !found {
		if _, empty := rt.cfg.RequestTemplates[ct]; empty {
			return body, true, nil
		}
		switch rt.cfg.PassthroughBehavior {
		case PassthroughWhenNoMatch:
			return body, true, nil
		case PassthroughWhenNoTemplates:
			if len(rt.cfg.RequestTemplates) == 0 {
				return body, true, nil
			}
		}
		return nil, false, nil
	}
	res, err := t.Render(c.r.Context(), g.env(c, body))
	if err != nil {
		return nil, true, fmt.Errorf("request template %s: %w", ct, err)
	}
	return []byte(res.Body), true, nil
}

// invalidJSONMessage is API Gateway's message for a body that a template
// reads as JSON and that is not JSON. AWS quotes its JSON parser's message
// after the colon; the local one says the same thing in its own words.
func invalidJSONMessage(err error) string {
	const prefix = "Could not parse request body into json"
	msg := err.Error()
	if i := strings.LastIndex(msg, ErrInvalidJSONBody.Error()+": "); i >= 0 {
		return prefix + ": " + msg[i+len(ErrInvalidJSONBody.Error())+2:]
	}
	return prefix
}

// integrationResponse selects the integration response for status, renders
// its template and applies its parameters.
func (g *Gateway) integrationResponse(c *call, status int, body []byte) *response {
	rt := c.rt
	chosen := rt.response(status)
	if chosen == nil {
		g.log.Error("no integration response matches and none is the default", "requestId", c.requestID, "status", status)
		return g.gatewayError(c, "API_CONFIGURATION_ERROR", "Internal server error")
	}
	resp := &response{status: chosen.cfg.StatusCode, headers: http.Header{}, body: body}
	ct, t := chooseTemplate(chosen.templates, chosen.cfg.ResponseTemplates, c.r.Header.Get("Accept"))
	if ct == "" {
		ct = "application/json"
	}
	resp.headers.Set("Content-Type", ct)
	var override *TemplateResult
	if t != nil {
		res, err := t.Render(c.r.Context(), g.env(c, body))
		if err != nil {
			g.log.Error("response template failed", "requestId", c.requestID, "status", chosen.cfg.StatusCode, "err", err)
			return g.gatewayError(c, "API_CONFIGURATION_ERROR", "Internal server error")
		}
		resp.body = []byte(res.Body)
		override = res
	}
	for _, p := range chosen.headerParams {
		if v, ok := parameterValue(p.src, body, c.ctx); ok {
			resp.headers.Set(p.header, v)
		}
	}
	if override != nil {
		if override.Status != 0 {
			resp.status = override.Status
		}
		for k, v := range override.Headers {
			resp.headers.Set(k, v)
		}
	}
	if resp.body == nil {
		resp.body = []byte{}
	}
	return resp
}

// chooseTemplate picks the response template for the Accept header: an
// exact media type first, else application/json, else the first by name.
func chooseTemplate(parsed map[string]Template, raw map[string]string, accept string) (string, Template) {
	if len(raw) == 0 {
		return "", nil
	}
	for rest, more := accept, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		mt := mediaType(part)
		if _, ok := raw[mt]; ok {
			return mt, parsed[mt]
		}
	}
	if _, ok := raw["application/json"]; ok {
		return "application/json", parsed["application/json"]
	}
	first := sortedKeys(raw)[0]
	return first, parsed[first]
}

// parameterValue evaluates a response parameter source: 'literal',
// integration.response.body[.path], or context.<path>.
func parameterValue(src string, body []byte, ctx map[string]any) (string, bool) {
	switch {
	case len(src) >= 2 && strings.HasPrefix(src, "'") && strings.HasSuffix(src, "'"):
		return src[1 : len(src)-1], true
	case src == "integration.response.body":
		return string(body), true
	case strings.HasPrefix(src, "integration.response.body."):
		var v any
		if json.Unmarshal(body, &v) != nil {
			return "", false
		}
		for _, k := range strings.Split(strings.TrimPrefix(src, "integration.response.body."), ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			v = m[k]
		}
		if s, ok := v.(string); ok {
			return s, true
		}
		if v == nil {
			return "", false
		}
		b, _ := json.Marshal(v)
		return string(b), true
	case strings.HasPrefix(src, "context."):
		var v any = ctx
		for _, k := range strings.Split(strings.TrimPrefix(src, "context."), ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			v = m[k]
		}
		if v == nil {
			return "", false
		}
		return fmt.Sprint(v), true
	}
	// integration.response.header.* and others: the local integration
	// returns no headers.
	return "", false
}

// gatewayErrorDefaults are API Gateway's statuses for its own errors.
var gatewayErrorDefaults = map[string]int{
	"MISSING_AUTHENTICATION_TOKEN":   http.StatusForbidden,
	"UNSUPPORTED_MEDIA_TYPE":         http.StatusUnsupportedMediaType,
	"REQUEST_TOO_LARGE":              http.StatusRequestEntityTooLarge,
	"BAD_REQUEST_BODY":               http.StatusBadRequest,
	"INTEGRATION_TIMEOUT":            http.StatusGatewayTimeout,
	"API_CONFIGURATION_ERROR":        http.StatusInternalServerError,
	"UNAUTHORIZED":                   http.StatusUnauthorized,
	"ACCESS_DENIED":                  http.StatusForbidden,
	"AUTHORIZER_FAILURE":             http.StatusInternalServerError,
	"AUTHORIZER_CONFIGURATION_ERROR": http.StatusInternalServerError,
	// A Lambda proxy function that fails or answers no statusCode.
	"INTEGRATION_FAILURE": http.StatusBadGateway,
}

// errorTypes are the x-amzn-ErrorType headers API Gateway sends.
var errorTypes = map[string]string{
	"MISSING_AUTHENTICATION_TOKEN":   "MissingAuthenticationTokenException",
	"API_CONFIGURATION_ERROR":        "InternalServerErrorException",
	"UNAUTHORIZED":                   "UnauthorizedException",
	"ACCESS_DENIED":                  "AccessDeniedException",
	"AUTHORIZER_FAILURE":             "AuthorizerConfigurationException",
	"AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
	"INTEGRATION_FAILURE":            "InternalServerErrorException",
}

// gatewayError answers one of the gateway's own errors through the stack's
// gateway response for the type, else DEFAULT_4XX/DEFAULT_5XX, else API
// Gateway's built-in {"message": ...}.
func (g *Gateway) gatewayError(c *call, typ, message string) *response {
	status := gatewayErrorDefaults[typ]
	gr := g.gwResp[typ]
	if gr == nil {
		if status >= 500 {
			gr = g.gwResp["DEFAULT_5XX"]
		} else {
			gr = g.gwResp["DEFAULT_4XX"]
		}
	}
	if gr == nil || len(gr.templates) == 0 {
		resp := g.fallbackError(status, message)
		if gr != nil {
			if gr.cfg.StatusCode != 0 {
				resp.status = gr.cfg.StatusCode
			}
			applyGatewayParams(resp, gr, c)
		}
		if et := errorTypes[typ]; et != "" {
			resp.headers.Set("x-amzn-ErrorType", et)
		}
		return resp
	}
	if gr.cfg.StatusCode != 0 {
		status = gr.cfg.StatusCode
	}
	quoted, _ := json.Marshal(message)
	if message == "" {
		quoted = []byte("null") // an authorizer failure: {"message": null}
	}
	errInfo := map[string]any{
		"message": message, "messageString": string(quoted), "responseType": typ, "validationErrorString": c.validationError,
	}
	ctx := c.ctx
	if ctx == nil {
		ctx = g.baseContext(c)
		ctx["error"] = errInfo
	} else {
		c.setContext("error", errInfo)
	}
	ct, t := chooseTemplate(gr.templates, gr.cfg.ResponseTemplates, c.r.Header.Get("Accept"))
	resp := &response{status: status, headers: http.Header{}}
	resp.headers.Set("Content-Type", ct)
	res, err := t.Render(c.r.Context(), &TemplateEnv{Request: c.tmplReq, Context: ctx, StageVariables: g.cfg.StageVariables})
	if err != nil {
		g.log.Error("gateway response template failed", "requestId", c.requestID, "type", typ, "err", err)
		return g.fallbackError(status, message)
	}
	resp.body = []byte(res.Body)
	if res.Status != 0 {
		resp.status = res.Status
	}
	for k, v := range res.Headers {
		resp.headers.Set(k, v)
	}
	applyGatewayParams(resp, gr, c)
	if et := errorTypes[typ]; et != "" {
		resp.headers.Set("x-amzn-ErrorType", et)
	}
	return resp
}

func applyGatewayParams(resp *response, gr *gatewayResponse, c *call) {
	for _, name := range sortedKeys(gr.cfg.ResponseParameters) {
		header, ok := strings.CutPrefix(name, "gatewayresponse.header.")
		if !ok {
			continue
		}
		if v, ok := parameterValue(gr.cfg.ResponseParameters[name], nil, c.ctx); ok {
			resp.headers.Set(header, v)
		}
	}
}

// fallbackError is API Gateway's built-in error body.
func (g *Gateway) fallbackError(status int, message string) *response {
	var m any = message
	if message == "" {
		m = nil // an authorizer failure: {"message": null}
	}
	b, _ := json.Marshal(map[string]any{"message": m})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &response{status: status, headers: h, body: b}
}

func (g *Gateway) env(c *call, body []byte) *TemplateEnv {
	req := c.tmplReq
	req.Body = body
	return &TemplateEnv{Request: req, Context: c.ctx, StageVariables: g.cfg.StageVariables, prepared: &c.prepared}
}

// baseContext builds $context for a request.
func (g *Gateway) baseContext(c *call) map[string]any {
	r := c.r
	now := c.start.UTC()
	ip := sourceIP(r)
	return map[string]any{
		"requestId":         c.requestID,
		"extendedRequestId": c.requestID,
		"stage":             g.cfg.Stage,
		"httpMethod":        r.Method,
		"path":              r.URL.Path,
		"resourcePath":      "",
		"resourceId":        "",
		"apiId":             g.cfg.APIID,
		"accountId":         g.cfg.AccountID,
		"domainName":        r.Host,
		"domainPrefix":      domainPrefix(r.Host),
		"protocol":          r.Proto,
		"requestTime":       now.Format("02/Jan/2006:15:04:05 -0700"),
		"requestTimeEpoch":  now.UnixMilli(),
		"identity": map[string]any{
			"sourceIp":  ip,
			"userAgent": r.UserAgent(),
			"accountId": "", "apiKey": "", "apiKeyId": "", "caller": "", "user": "", "userArn": "",
			"cognitoIdentityId": "", "cognitoIdentityPoolId": "", "cognitoAuthenticationType": "",
			"cognitoAuthenticationProvider": "",
		},
		"authorizer": map[string]any{},
	}
}

// mediaType is the media type of a Content-Type or Accept part, lower
// case, parameters dropped (whether they parse or not). It is what
// mime.ParseMediaType answers as the media type, without parsing the
// parameters into a map on every request.
func mediaType(v string) string {
	base, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(base))
}

// domainPrefix is the first label of host.
func domainPrefix(host string) string {
	p, _, _ := strings.Cut(host, ".")
	return p
}

func hasPrefix(segs, prefix []string) bool {
	if len(segs) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if segs[i] != p {
			return false
		}
	}
	return true
}

// requestHeaders are the headers templates see: the client's, plus Host
// (which net/http keeps apart) and the ones API Gateway adds on the way in.
func (g *Gateway) requestHeaders(c *call) map[string]string {
	r := c.r
	h := singleHeaders(r.Header)
	if r.Host != "" {
		h["Host"] = r.Host
	}
	ip := sourceIP(r)
	if prev := h["X-Forwarded-For"]; prev != "" {
		h["X-Forwarded-For"] = prev + ", " + ip
	} else {
		h["X-Forwarded-For"] = ip
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	h["X-Forwarded-Proto"] = proto
	h["X-Forwarded-Port"] = port
	if h["X-Amzn-Trace-Id"] == "" {
		h["X-Amzn-Trace-Id"] = traceID(c.start.Unix(), c.requestID)
	}
	return h
}

// traceID is the X-Amzn-Trace-Id API Gateway adds: Root=1-<epoch seconds,
// 8 hex digits>-<24 hex digits, here the request id's>.
func traceID(epoch int64, requestID string) string {
	id := make([]byte, 0, 24)
	for i := 0; i < len(requestID) && len(id) < 24; i++ {
		if requestID[i] != '-' {
			id = append(id, requestID[i])
		}
	}
	for len(id) < 24 {
		id = append(id, '0')
	}
	if epoch < 0 {
		return fmt.Sprintf("Root=1-%08x-%s", epoch, id)
	}
	b := make([]byte, 0, len("Root=1-")+8+1+24)
	b = append(b, "Root=1-"...)
	hex := strconv.FormatInt(epoch, 16)
	for range 8 - len(hex) {
		b = append(b, '0')
	}
	b = append(b, hex...)
	b = append(b, '-')
	b = append(b, id...)
	return string(b)
}

func sourceIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// singleHeaders flattens headers as $input.params().header sees them: one
// value per name (the last one sent).
func singleHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

func singleQuery(r *http.Request) map[string]string {
	q := r.URL.Query()
	out := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// resourceID is a stable short id for a resource path, like API Gateway's
// 10-character resource ids.
func resourceID(path string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(path); i++ {
		h ^= uint64(path[i])
		h *= 1099511628211
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [10]byte
	for i := range b {
		b[i] = alphabet[h%uint64(len(alphabet))]
		h /= uint64(len(alphabet))
		if h == 0 {
			h = 14695981039346656037
		}
	}
	return string(b[:])
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
