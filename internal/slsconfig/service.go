package slsconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// pseudoRef is the plugin's #{AWS::Region} notation in definitions.
var pseudoRef = regexp.MustCompile(`#\{([^}]+)\}`)

// DefaultAccountID is the account id used for pseudo parameters when
// Options.AccountID is empty (the value LocalStack and moto use too).
const DefaultAccountID = "000000000000"

// Service is a loaded serverless.yml.
type Service struct {
	// Name is the service name (`service:`).
	Name string
	// Stage and Region are resolved as serverless does: --stage/--region,
	// else provider.stage/provider.region, else "dev"/"us-east-1".
	Stage, Region string
	// AccountID is used for AWS::AccountId in pseudo-parameter lookups.
	AccountID string
	// Functions, StateMachines, Tables and Buckets are sorted by key.
	Functions     []Function
	StateMachines []StateMachine
	Tables        []Table
	Buckets       []Bucket
	// Queues, Topics and Subscriptions are the stack's SQS queues, SNS
	// topics and SNS subscriptions, sorted by logical id.
	Queues        []Queue
	Topics        []Topic
	Subscriptions []Subscription
	// EventBuses are the stack's AWS::Events::EventBus resources.
	EventBuses []EventBus
	// Activities are `stepFunctions.activities:`, in their order there.
	Activities []Activity
	// Config is the whole configuration with its variables resolved; the
	// CloudFormation intrinsics in it are not.
	Config map[string]any
}

// Function is one entry of `functions:`.
type Function struct {
	Key       string // the key under functions:, e.g. "tracking"
	LogicalID string // CloudFormation logical id, e.g. "TrackingLambdaFunction"
	Name      string // deployed name: `name:` or <service>-<stage>-<key>
	Handler   string
	Runtime   string
	Artifact  string // package.artifact, when set
	// Environment merges provider.environment and the function's own;
	// values may hold intrinsics: see Service.FunctionEnv.
	Environment map[string]any
	// Events is the raw `events:` list (http, eventBridge, ...).
	Events []any
}

// StateMachine is one entry of `stepFunctions.stateMachines:`.
type StateMachine struct {
	Key       string // the key under stateMachines:, e.g. "jobs"
	LogicalID string // `id`, else `name`, else <Key>StepFunctionsStateMachine, normalized
	// Name is `name:` when given; otherwise CloudFormation would generate
	// one, and the local runtime uses LogicalID.
	Name string
	// Definition is the definition with variables resolved and intrinsics
	// (e.g. {"Fn::GetAtt":["tracking","Arn"]}) left in place; see
	// Service.Definition for the deployable JSON.
	Definition any
	// Events is the raw `events:` list; Service.Routes reads its http events.
	Events []any
}

// Activity is one entry of `stepFunctions.activities:`, which
// serverless-step-functions deploys as an AWS::StepFunctions::Activity
// named as written (Ref answers its ARN, Fn::GetAtt its Arn and Name).
type Activity struct {
	Name      string
	LogicalID string // <Name>StepFunctionsActivity, normalized
}

// Table is an AWS::DynamoDB::Table of resources.Resources.
type Table struct {
	LogicalID string
	// TableName is Properties.TableName; without one CloudFormation would
	// generate a name, and <service>-<stage>-<LogicalID> stands in for it.
	TableName     string
	GeneratedName bool
	// KeySchema lists the key attributes in order (HASH first).
	KeySchema []KeyAttribute
	// Indexes are the GlobalSecondaryIndexes, in the order declared.
	Indexes []Index
	// TTLAttribute is the TimeToLiveSpecification's attribute when it is
	// enabled, else empty.
	TTLAttribute string
	// Properties is the raw resource Properties.
	Properties map[string]any
}

// Queue is an AWS::SQS::Queue of resources.Resources.
type Queue struct {
	LogicalID string
	// QueueName is Properties.QueueName; without one CloudFormation would
	// generate a name, and <service>-<stage>-<logicalid> (with .fifo for a
	// FIFO queue, as SQS requires) stands in for it.
	QueueName     string
	GeneratedName bool
	Properties    map[string]any
}

// Topic is an AWS::SNS::Topic of resources.Resources.
type Topic struct {
	LogicalID string
	// TopicName is Properties.TopicName, or <service>-<stage>-<logicalid>
	// (with .fifo for a FIFO topic) standing in for a generated one.
	TopicName     string
	GeneratedName bool
	Properties    map[string]any
}

// EventBus is an AWS::Events::EventBus of resources.Resources: Name, or
// <service>-<stage>-<logicalid> standing in when it is not a plain string.
type EventBus struct {
	LogicalID string
	Name      string
}

// Subscription is an AWS::SNS::Subscription of resources.Resources; its
// properties keep their intrinsics (TopicArn is usually a Ref).
type Subscription struct {
	LogicalID string
	// Condition names the stack condition it depends on, if any.
	Condition  string
	Properties map[string]any
}

// Index is one global secondary index of a Table.
type Index struct {
	Name      string
	KeySchema []KeyAttribute
	// ProjectionType is ALL, KEYS_ONLY or INCLUDE (with NonKeyAttributes).
	ProjectionType   string
	NonKeyAttributes []string
}

// keySchema reads a KeySchema list, typing each key from the table's
// AttributeDefinitions.
func keySchema(raw any, types map[string]string) []KeyAttribute {
	keys, _ := raw.([]any)
	var out []KeyAttribute
	for _, k := range keys {
		km, _ := k.(map[string]any)
		name := str(km["AttributeName"])
		out = append(out, KeyAttribute{Name: name, KeyType: str(km["KeyType"]), Type: types[name]})
	}
	return out
}

// KeyAttribute is one key of a table's KeySchema with its declared type.
type KeyAttribute struct {
	Name    string
	KeyType string // HASH or RANGE
	Type    string // S, N or B
}

// Bucket is an AWS::S3::Bucket of resources.Resources.
type Bucket struct {
	LogicalID string
	// BucketName is Properties.BucketName; without one CloudFormation would
	// generate a name, and <service>-<stage>-<logicalid> (lower case, as S3
	// requires) stands in for it.
	BucketName    string
	GeneratedName bool
	Properties    map[string]any
}

// Load reads <opts.Dir>/serverless.yml and resolves it.
func Load(opts Options) (*Service, error) {
	file := filepath.Join(opts.Dir, "serverless.yml")
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load service: %w", err)
	}
	return Parse(raw, opts)
}

// Parse resolves a serverless.yml document; opts.Dir anchors ${file(...)}.
func Parse(raw []byte, opts Options) (*Service, error) {
	root, err := decodeYAML(raw)
	if err != nil {
		return nil, fmt.Errorf("parse serverless.yml: %w", err)
	}
	cfg, ok := root.(map[string]any)
	if !ok {
		return nil, errors.New("parse serverless.yml: the document is not a map")
	}
	r := newResolver(cfg, opts)
	resolved, err := r.resolveAt(nil, 0)
	if err != nil {
		return nil, fmt.Errorf("resolve serverless.yml: %w", err)
	}
	cfg, ok = resolved.(map[string]any)
	if !ok {
		return nil, errors.New("resolve serverless.yml: the document is not a map")
	}
	if err := mergeLists(cfg); err != nil {
		return nil, fmt.Errorf("resolve serverless.yml: %w", err)
	}
	return build(cfg, opts)
}

func build(cfg map[string]any, opts Options) (*Service, error) {
	s := &Service{Config: cfg, AccountID: opts.AccountID}
	if s.AccountID == "" {
		s.AccountID = DefaultAccountID
	}
	switch name := cfg["service"].(type) {
	case string:
		s.Name = name
	case map[string]any: // the old `service: {name: x}` form
		s.Name, _ = name["name"].(string)
	}
	if s.Name == "" {
		return nil, errors.New("service: missing service name")
	}
	provider, _ := cfg["provider"].(map[string]any)
	s.Stage = firstString(opts.Stage, str(provider["stage"]), "dev")
	s.Region = firstString(opts.Region, str(provider["region"]), "us-east-1")

	if err := s.buildFunctions(cfg, provider); err != nil {
		return nil, err
	}
	if err := s.buildStateMachines(cfg); err != nil {
		return nil, err
	}
	if err := s.buildActivities(cfg); err != nil {
		return nil, err
	}
	if err := s.buildResources(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) buildFunctions(cfg, provider map[string]any) error {
	fns, ok := cfg["functions"].(map[string]any)
	if !ok && cfg["functions"] != nil {
		return errors.New("functions: not a map")
	}
	providerEnv, _ := provider["environment"].(map[string]any)
	for _, key := range sortedKeys(fns) {
		def, ok := fns[key].(map[string]any)
		if !ok {
			return fmt.Errorf("functions.%s: not a map", key)
		}
		f := Function{
			Key:         key,
			LogicalID:   normalizedResourceName(key) + "LambdaFunction",
			Name:        firstString(str(def["name"]), s.Name+"-"+s.Stage+"-"+key),
			Handler:     str(def["handler"]),
			Runtime:     firstString(str(def["runtime"]), str(provider["runtime"])),
			Environment: map[string]any{},
		}
		if pkg, ok := def["package"].(map[string]any); ok {
			f.Artifact = str(pkg["artifact"])
		}
		if ev, ok := def["events"].([]any); ok {
			f.Events = ev
		}
		for k, v := range providerEnv {
			f.Environment[k] = v
		}
		if env, ok := def["environment"].(map[string]any); ok {
			for k, v := range env {
				f.Environment[k] = v
			}
		}
		s.Functions = append(s.Functions, f)
	}
	return nil
}

func (s *Service) buildStateMachines(cfg map[string]any) error {
	sf, _ := cfg["stepFunctions"].(map[string]any)
	machines, ok := sf["stateMachines"].(map[string]any)
	if !ok && sf["stateMachines"] != nil {
		return errors.New("stepFunctions.stateMachines: not a map")
	}
	for _, key := range sortedKeys(machines) {
		def, ok := machines[key].(map[string]any)
		if !ok {
			return fmt.Errorf("stepFunctions.stateMachines.%s: not a map", key)
		}
		sm := StateMachine{Key: key, Name: str(def["name"]), Definition: def["definition"]}
		// serverless-step-functions: id, else name, else <key>StepFunctionsStateMachine.
		if custom := firstString(str(def["id"]), sm.Name); custom != "" {
			sm.LogicalID = normalizedResourceName(custom)
		} else {
			sm.LogicalID = normalizedResourceName(key) + "StepFunctionsStateMachine"
		}
		if sm.Name == "" {
			sm.Name = sm.LogicalID
		}
		if sm.Definition == nil {
			return fmt.Errorf("stepFunctions.stateMachines.%s.definition: missing", key)
		}
		if ev, ok := def["events"].([]any); ok {
			sm.Events = ev
		}
		s.StateMachines = append(s.StateMachines, sm)
	}
	return nil
}

// buildActivities reads stepFunctions.activities, a list of names, as the
// plugin does (anything else is its "activities property is not an array").
func (s *Service) buildActivities(cfg map[string]any) error {
	sf, _ := cfg["stepFunctions"].(map[string]any)
	if sf["activities"] == nil {
		return nil
	}
	list, ok := sf["activities"].([]any)
	if !ok {
		return errors.New("stepFunctions.activities: not a list")
	}
	for i, v := range list {
		name, ok := v.(string)
		if !ok || name == "" {
			return fmt.Errorf("stepFunctions.activities.%d: not a name", i)
		}
		s.Activities = append(s.Activities, Activity{Name: name, LogicalID: normalizedResourceName(name) + "StepFunctionsActivity"})
	}
	return nil
}

func (s *Service) buildResources(cfg map[string]any) error {
	res, _ := cfg["resources"].(map[string]any)
	resources, _ := res["Resources"].(map[string]any)
	for _, id := range sortedKeys(resources) {
		r, ok := resources[id].(map[string]any)
		if !ok {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		path := "resources.Resources." + id + ".Properties"
		switch r["Type"] {
		case "AWS::DynamoDB::Table":
			name, err := s.pseudoString(props["TableName"], path+".TableName")
			if err != nil {
				return err
			}
			t := Table{LogicalID: id, TableName: name, Properties: props}
			if name == "" {
				t.TableName, t.GeneratedName = s.Name+"-"+s.Stage+"-"+id, true
			}
			types := map[string]string{}
			attrs, _ := props["AttributeDefinitions"].([]any)
			for _, a := range attrs {
				am, _ := a.(map[string]any)
				types[str(am["AttributeName"])] = str(am["AttributeType"])
			}
			t.KeySchema = keySchema(props["KeySchema"], types)
			if len(t.KeySchema) == 0 {
				return fmt.Errorf("%s.KeySchema: missing", path)
			}
			gsis, _ := props["GlobalSecondaryIndexes"].([]any)
			for i, g := range gsis {
				gm, _ := g.(map[string]any)
				proj, _ := gm["Projection"].(map[string]any)
				ix := Index{Name: str(gm["IndexName"]), KeySchema: keySchema(gm["KeySchema"], types), ProjectionType: str(proj["ProjectionType"])}
				nonKey, _ := proj["NonKeyAttributes"].([]any)
				for _, a := range nonKey {
					ix.NonKeyAttributes = append(ix.NonKeyAttributes, str(a))
				}
				if ix.Name == "" || len(ix.KeySchema) == 0 {
					return fmt.Errorf("%s.GlobalSecondaryIndexes[%d]: IndexName and KeySchema are required", path, i)
				}
				t.Indexes = append(t.Indexes, ix)
			}
			if ttl, ok := props["TimeToLiveSpecification"].(map[string]any); ok && ttl["Enabled"] == true {
				t.TTLAttribute = str(ttl["AttributeName"])
			}
			s.Tables = append(s.Tables, t)
		case "AWS::S3::Bucket":
			name, err := s.pseudoString(props["BucketName"], path+".BucketName")
			if err != nil {
				return err
			}
			b := Bucket{LogicalID: id, BucketName: name, Properties: props}
			if name == "" {
				b.BucketName, b.GeneratedName = strings.ToLower(s.Name+"-"+s.Stage+"-"+id), true
			}
			s.Buckets = append(s.Buckets, b)
		case "AWS::SQS::Queue":
			name, err := s.pseudoString(props["QueueName"], path+".QueueName")
			if err != nil {
				return err
			}
			q := Queue{LogicalID: id, QueueName: name, Properties: props}
			if name == "" {
				q.QueueName, q.GeneratedName = s.generatedName(id, props["FifoQueue"]), true
			}
			s.Queues = append(s.Queues, q)
		case "AWS::SNS::Topic":
			name, err := s.pseudoString(props["TopicName"], path+".TopicName")
			if err != nil {
				return err
			}
			t := Topic{LogicalID: id, TopicName: name, Properties: props}
			if name == "" {
				t.TopicName, t.GeneratedName = s.generatedName(id, props["FifoTopic"]), true
			}
			s.Topics = append(s.Topics, t)
		case "AWS::Events::EventBus":
			name, err := s.pseudoString(props["Name"], path+".Name")
			if err != nil {
				return err
			}
			if name == "" {
				name = s.generatedName(id, nil)
			}
			s.EventBuses = append(s.EventBuses, EventBus{LogicalID: id, Name: name})
		case "AWS::SNS::Subscription":
			cond, _ := r["Condition"].(string)
			s.Subscriptions = append(s.Subscriptions, Subscription{LogicalID: id, Condition: cond, Properties: props})
		}
	}
	return nil
}

// generatedName stands in for the name CloudFormation would generate for
// resource id: <service>-<stage>-<id>, with ".fifo" when fifo (the
// resource's FifoQueue or FifoTopic) is true, as SQS and SNS require.
func (s *Service) generatedName(id string, fifo any) string {
	name := s.Name + "-" + s.Stage + "-" + id
	if fifo == true || fifo == "true" {
		name += ".fifo"
	}
	return name
}

// PseudoLookup answers the pseudo parameters (AWS::Region, AWS::AccountId,
// AWS::Partition, AWS::StackName, AWS::URLSuffix) for this service, and
// defers everything else to next (which may be nil).
func (s *Service) PseudoLookup(next Lookup) Lookup {
	return pseudoLookup{
		refs: map[string]string{
			"AWS::Region":    s.Region,
			"AWS::AccountId": s.AccountID,
			"AWS::Partition": "aws",
			"AWS::StackName": s.Name + "-" + s.Stage,
			"AWS::URLSuffix": "amazonaws.com",
		},
		next: next,
	}
}

type pseudoLookup struct {
	refs map[string]string
	next Lookup
}

func (p pseudoLookup) Ref(id string) (string, bool) {
	if v, ok := p.refs[id]; ok {
		return v, true
	}
	if p.next == nil {
		return "", false
	}
	return p.next.Ref(id)
}

func (p pseudoLookup) GetAtt(id, attr string) (string, bool) {
	if p.next == nil {
		return "", false
	}
	return p.next.GetAtt(id, attr)
}

// pseudoString resolves a name that may be an intrinsic over pseudo
// parameters only (resource names are needed before any ARN exists).
func (s *Service) pseudoString(v any, path string) (string, error) {
	if v == nil {
		return "", nil
	}
	out, err := ResolveIntrinsics(v, s.PseudoLookup(nil), path)
	if err != nil {
		return "", err
	}
	str, ok := coerceString(out)
	if !ok {
		return "", &ResolveError{Path: path, Err: errors.New("not a string")}
	}
	return str, nil
}

// FunctionEnv returns the function's environment with its intrinsics
// resolved by l (pseudo parameters answered by the service).
func (s *Service) FunctionEnv(key string, l Lookup) (map[string]string, error) {
	f, ok := s.Function(key)
	if !ok {
		return nil, fmt.Errorf("function %q: not in functions", key)
	}
	out := make(map[string]string, len(f.Environment))
	for _, k := range sortedKeys(f.Environment) {
		v, err := ResolveIntrinsics(f.Environment[k], s.PseudoLookup(l), "functions."+key+".environment."+k)
		if err != nil {
			return nil, err
		}
		str, ok := coerceString(v)
		if !ok {
			return nil, &ResolveError{Path: "functions." + key + ".environment." + k, Err: errors.New("not a string")}
		}
		out[k] = str
	}
	return out, nil
}

// Function returns the function with the given key.
func (s *Service) Function(key string) (Function, bool) {
	for _, f := range s.Functions {
		if f.Key == key {
			return f, true
		}
	}
	return Function{}, false
}

// StateMachine returns the state machine with the given key.
func (s *Service) StateMachine(key string) (StateMachine, bool) {
	for _, sm := range s.StateMachines {
		if sm.Key == key {
			return sm, true
		}
	}
	return StateMachine{}, false
}

// Definition returns the state machine's definition as JSON, its intrinsics
// resolved as deployed: serverless-step-functions turns each intrinsic into
// a ${placeholder}, wraps the whole JSON text in Fn::Sub, rewrites #{X}
// pseudo references to ${X}, and maps a function key used as a logical id
// ("tracking") to its Lambda's logical id ("TrackingLambdaFunction"). So l
// is asked for GetAtt("TrackingLambdaFunction", "Arn") and the like. With no
// intrinsic and no #{...}, the definition is used as is. With
// `stepFunctions.validate: true`, every state gets the QueryLanguage
// asl-validator writes into it.
func (s *Service) Definition(key string, l Lookup) ([]byte, error) {
	sm, ok := s.StateMachine(key)
	if !ok {
		return nil, fmt.Errorf("state machine %q: not in stepFunctions.stateMachines", key)
	}
	path := "stepFunctions.stateMachines." + key + ".definition"
	if text, isStr := sm.Definition.(string); isStr {
		// A string definition is deployed verbatim.
		if !json.Valid([]byte(text)) {
			return nil, &ResolveError{Path: path, Err: errors.New("definition string is not JSON")}
		}
		return []byte(text), nil
	}
	def := deepCopy(sm.Definition)
	if sf, _ := s.Config["stepFunctions"].(map[string]any); sf["validate"] == true {
		// `validate: true` runs asl-validator, which sets every state's
		// QueryLanguage to the machine's (default JSONPath) in place, so
		// the deployed definition carries it.
		if m, ok := def.(map[string]any); ok {
			ql, _ := m["QueryLanguage"].(string)
			if ql == "" {
				ql = "JSONPath"
			}
			setQueryLanguage(m, ql)
		}
	}
	params := map[string]any{}
	unquote := map[string]bool{}
	def = extractIntrinsics(def, params, unquote, false)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(def); err != nil {
		return nil, fmt.Errorf("%s: encode: %w", path, err)
	}
	text := bytes.TrimSpace(buf.Bytes())
	hasPseudo := strings.Contains(string(text), "#{")
	if len(params) == 0 && !hasPseudo {
		return text, nil
	}
	str := string(text)
	if hasPseudo {
		str = pseudoRef.ReplaceAllString(str, "$${$1}")
	}
	for name := range unquote {
		str = strings.ReplaceAll(str, `"${`+name+`}"`, "${"+name+"}")
	}
	vars := map[string]string{}
	lookup := s.PseudoLookup(functionKeyLookup{svc: s, next: l})
	for _, name := range sortedKeys(params) {
		v, err := ResolveIntrinsics(params[name], lookup, path)
		if err != nil {
			return nil, err
		}
		sv, ok := coerceString(v)
		if !ok {
			return nil, &ResolveError{Path: path, Err: fmt.Errorf("intrinsic %v does not yield a string", params[name])}
		}
		vars[name] = sv
	}
	out, err := sub(str, vars, lookup, path)
	if err != nil {
		return nil, err
	}
	if !json.Valid([]byte(out)) {
		return nil, &ResolveError{Path: path, Err: errors.New("definition is not valid JSON after substitution")}
	}
	return []byte(out), nil
}

// setQueryLanguage sets QueryLanguage on every state of every "States"
// object at any depth (asl-validator's $..States) that has none.
func setQueryLanguage(v any, ql string) {
	switch n := v.(type) {
	case map[string]any:
		for k, x := range n {
			if states, ok := x.(map[string]any); ok && k == "States" {
				for _, st := range states {
					if sm, ok := st.(map[string]any); ok {
						if q, _ := sm["QueryLanguage"].(string); q == "" {
							sm["QueryLanguage"] = ql
						}
					}
				}
			}
			setQueryLanguage(x, ql)
		}
	case []any:
		for _, x := range n {
			setQueryLanguage(x, ql)
		}
	}
}

// extractIntrinsics replaces each intrinsic in v by "${__intrinsicN}" and
// records it in params, as the plugin does with md5 names.
func extractIntrinsics(v any, params map[string]any, unquote map[string]bool, waitSeconds bool) any {
	switch n := v.(type) {
	case map[string]any:
		if _, _, ok := intrinsic(n); ok {
			name := fmt.Sprintf("__intrinsic%d", len(params))
			params[name] = n
			if waitSeconds {
				unquote[name] = true
			}
			return "${" + name + "}"
		}
		isWait := n["Type"] == "Wait"
		for _, k := range sortedKeys(n) {
			n[k] = extractIntrinsics(n[k], params, unquote, isWait && k == "Seconds")
		}
		return n
	case []any:
		for i := range n {
			n[i] = extractIntrinsics(n[i], params, unquote, false)
		}
		return n
	}
	return v
}

// functionKeyLookup maps a function key used as a logical id to the
// function's Lambda logical id, as the plugin's translateLocalFunctionNames.
type functionKeyLookup struct {
	svc  *Service
	next Lookup
}

func (f functionKeyLookup) translate(id string) string {
	if fn, ok := f.svc.Function(id); ok && !f.svc.isResource(id) {
		return fn.LogicalID
	}
	return id
}

func (f functionKeyLookup) Ref(id string) (string, bool) {
	if f.next == nil {
		return "", false
	}
	return f.next.Ref(f.translate(id))
}

func (f functionKeyLookup) GetAtt(id, attr string) (string, bool) {
	if f.next == nil {
		return "", false
	}
	return f.next.GetAtt(f.translate(id), attr)
}

func (s *Service) isResource(id string) bool {
	res, _ := s.Config["resources"].(map[string]any)
	resources, _ := res["Resources"].(map[string]any)
	_, ok := resources[id]
	return ok
}

func normalizedResourceName(name string) string {
	name = strings.ReplaceAll(strings.ReplaceAll(name, "-", "Dash"), "_", "Underscore")
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

func str(v any) string {
	s, _ := coerceString(v)
	return s
}

func firstString(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
