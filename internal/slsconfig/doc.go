// Package slsconfig loads a Serverless Framework v3 service (serverless.yml)
// as `sls package` reads it, and extracts what the local runtime needs.
//
// Variables (serverless v3 syntax; the parser is a port of
// lib/configuration/variables/parse.js, and tests compare the result with
// `sls print`):
//
//   - ${self:a.b} (any property, resolved first if it holds variables);
//   - ${file(path)} and ${file(path):a.b}, path relative to the service
//     directory: .yml/.yaml (CloudFormation short tags such as !Ref and
//     !GetAtt become their long forms) and .json are parsed, other files
//     (.vtl, ...) are text; a missing file has no value, so a fallback
//     applies; variables in the file's content are resolved too;
//   - ${opt:stage}, ${opt:region}, ${opt:<name>} (Options.Opt),
//     ${sls:stage}, ${aws:region}, ${env:NAME}, ${strToBool(x)};
//   - fallbacks: ${opt:stage, 'dev'}, ${env:X, 42}, ${opt:a, self:b}
//     (a source, not a nested ${}, as in serverless); variables inside
//     addresses and params: ${self:custom.${sls:stage}};
//   - a value that is one variable keeps the variable's type; a string
//     mixing text and variables needs string, number or boolean values;
//   - \${...} escapes; ${AWS::Region}, ${Logical.Arn} and other "foreign"
//     ${...} (not a lower-case source followed by ':' or '(') are left for
//     CloudFormation, as serverless leaves them.
//
// Once resolved, `resources:` and `functions:` given as lists (of
// ${file(...)} items, one file per concern) are merged into one map, as the
// Framework merges them.
//
// Anything else is a *ResolveError naming the YAML key path:
// ${aws:accountId} (needs STS), ${ssm:}, ${cf:}, ${s3:}, ${param:},
// JavaScript files, unknown sources, values not found, circular references
// (ErrCircular) and syntax errors.
//
// CloudFormation: Ref, Fn::GetAtt, Fn::Sub (string or [string, vars];
// ${Name}, ${Logical.Attr}, ${!Literal}) and Fn::Join are resolved against
// a Lookup the caller provides (pseudo parameters come from
// Service.PseudoLookup); other intrinsics are errors naming the key.
// Service.Definition resolves a state machine definition as the plugin
// deploys it, so the engine gets plain ARNs; Service.Routes yields the API
// Gateway methods serverless-step-functions generates for http events
// (tests compare them with `sls package` output).
package slsconfig
