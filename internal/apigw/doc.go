// Package apigw is a local API Gateway (REST API) for the routes that
// serverless-step-functions deploys, described in the package's own model
// (Route, IntegrationResponse, Authorizer, GatewayResponse: API Gateway's
// terms), into which internal/offline converts what internal/slsconfig
// reads from serverless.yml. For each request it:
//
//   - matches the resource path (literal parts before {param} before
//     {proxy+}) under the stage prefix, then the method (ANY as a fallback);
//     an unknown path or method is 403 {"message":"Missing Authentication
//     Token"}, an unknown stage 403 {"message":"Forbidden"};
//   - refuses bodies over 10 MB (413) and picks the request template by
//     Content-Type (none means application/json; parameters and case are
//     ignored); with no template for it, NEVER (the plugin's default) and
//     WHEN_NO_TEMPLATES with templates answer 415, otherwise the body
//     passes through;
//   - renders the template with $input (body, path, query string, headers
//     including Host and the X-Forwarded-* and X-Amzn-Trace-Id headers API
//     Gateway adds) and $context (requestId, stage, httpMethod,
//     resourcePath, path, identity.sourceIp, requestTime, ...); a body the
//     template reads as JSON and that is not JSON is 400 "Could not parse
//     request body into json";
//   - calls the Integration with the route's Step Functions action and a
//     deadline of the route's timeout (504 "Endpoint request timed out");
//   - selects the integration response whose selection pattern (a regular
//     expression, anchored at both ends) matches the integration's HTTP
//     status, else the default one (empty pattern), else 500; renders its
//     template chosen by Accept (else application/json, else the first),
//     applies responseParameters ('literal', integration.response.body[.x],
//     context.x) and $context.responseOverride; sets Content-Type and
//     x-amzn-RequestId;
//   - answers its own errors through the stack's gateway responses
//     (the type's own, else DEFAULT_4XX/DEFAULT_5XX, else API Gateway's
//     {"message": ...}), with $context.error.message/messageString/
//     responseType; a panic anywhere is a logged 500 "Internal server error".
//
// Then, as API Gateway does before the integration: a TOKEN authorizer
// (its function is invoked through Config.Lambda with the TOKEN event and
// its policy evaluated as API Gateway does, Evaluate; no identity header
// is 401 without calling it; its context becomes $context.authorizer;
// with Authorizer.ResultTTL its answer is cached by token, authcache.go), and the request validator
// (the route's request.schemas, by content type: 400 BAD_REQUEST_BODY
// "Invalid request body", with $context.error.validationErrorString). A
// Lambda proxy route (a function's http event) hands the function an
// events.APIGatewayProxyRequest through Config.Lambda and relays its
// statusCode, headers and body (a failure or no statusCode: 502).
//
// Not emulated: IAM, Cognito and REQUEST authorizers and API keys
// (recorded on the route, logged at start, not enforced), request
// parameter validation, binary media types and content handling, multi-value headers and query strings (the last
// value wins), integration response headers, caching, throttling and usage
// plans.
package apigw
