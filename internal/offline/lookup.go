package offline

import (
	"fmt"
	"strings"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// stackNames are the local physical names of the stack's resources: what
// CloudFormation's Ref and Fn::GetAtt answer on AWS, answered locally.
type stackNames struct {
	partition, region, account string
	refs                       map[string]string
	attrs                      map[string]string
}

var _ slsconfig.Lookup = (*stackNames)(nil)

func (n *stackNames) Ref(id string) (string, bool) {
	v, ok := n.refs[id]
	return v, ok
}

func (n *stackNames) GetAtt(id, attr string) (string, bool) {
	v, ok := n.attrs[id+"."+attr]
	return v, ok
}

// newStackNames names every resource the local runtime provides: the
// functions, state machines, activities, tables and buckets serverless.yml
// declares, the IAM roles (never enforced locally, but referenced by ARN)
// and the REST API the plugin generates. Anything else stays unresolved, so a
// reference to it is a start-up error naming the key.
func newStackNames(svc *slsconfig.Service, partition string, bucketNames map[string]string) *stackNames {
	n := &stackNames{partition: partition, region: svc.Region, account: svc.AccountID,
		refs: map[string]string{}, attrs: map[string]string{}}
	for _, fn := range svc.Functions {
		arn := n.functionARN(fn.Name)
		n.refs[fn.LogicalID] = fn.Name
		n.attrs[fn.LogicalID+".Arn"] = arn
	}
	for _, sm := range svc.StateMachines {
		name := stateMachineName(sm)
		arn := n.stateMachineARN(name)
		n.refs[sm.LogicalID] = arn
		n.attrs[sm.LogicalID+".Arn"] = arn
		n.attrs[sm.LogicalID+".Name"] = name
	}
	for _, a := range svc.Activities {
		arn := n.activityARN(a.Name)
		n.refs[a.LogicalID] = arn
		n.attrs[a.LogicalID+".Arn"] = arn
		n.attrs[a.LogicalID+".Name"] = a.Name
	}
	for _, t := range svc.Tables {
		n.refs[t.LogicalID] = t.TableName
		n.attrs[t.LogicalID+".Arn"] = fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", partition, n.region, n.account, t.TableName)
	}
	for _, b := range svc.Buckets {
		name := bucketNames[b.LogicalID]
		n.refs[b.LogicalID] = name
		n.attrs[b.LogicalID+".Arn"] = fmt.Sprintf("arn:%s:s3:::%s", partition, name)
		n.attrs[b.LogicalID+".DomainName"] = name + ".s3.amazonaws.com"
		n.attrs[b.LogicalID+".RegionalDomainName"] = name + ".s3." + n.region + ".amazonaws.com"
	}
	for id, typ := range resourceTypes(svc) {
		switch typ {
		case "AWS::IAM::Role":
			n.refs[id] = id
			n.attrs[id+".Arn"] = fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, n.account, id)
		case "AWS::SecretsManager::Secret":
			// Ref is the ARN, as on AWS (internal/secretstore holds it).
			n.refs[id] = fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", partition, n.region, n.account, id)
			n.attrs[id+".Id"] = n.refs[id]

		}
	}
	// Queues are created in the local SQS (messaging.go); until its address
	// is known (withSQS), their URLs are AWS's. The dead-letter queue of an
	// eventBridge target or of a function's failed asynchronous invocations
	// is a stand-in that redrives (internal/eventbridge), not this queue.
	for _, q := range svc.Queues {
		n.refs[q.LogicalID] = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", n.region, n.account, q.QueueName)
		n.attrs[q.LogicalID+".Arn"] = fmt.Sprintf("arn:%s:sqs:%s:%s:%s", partition, n.region, n.account, q.QueueName)
		n.attrs[q.LogicalID+".QueueName"] = q.QueueName
		n.attrs[q.LogicalID+".QueueUrl"] = n.refs[q.LogicalID]
	}
	// Buses are named so that a definition's events:putEvents can address
	// them; the local rules listen on the default bus only.
	for _, b := range svc.EventBuses {
		n.refs[b.LogicalID] = b.Name
		n.attrs[b.LogicalID+".Name"] = b.Name
		n.attrs[b.LogicalID+".Arn"] = fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", partition, n.region, n.account, b.Name)
	}
	for _, t := range svc.Topics {
		arn := fmt.Sprintf("arn:%s:sns:%s:%s:%s", partition, n.region, n.account, t.TopicName)
		n.refs[t.LogicalID] = arn
		n.attrs[t.LogicalID+".TopicArn"] = arn
		n.attrs[t.LogicalID+".TopicName"] = t.TopicName
	}
	// The plugin's http events live on the REST API serverless generates.
	n.refs["ApiGatewayRestApi"] = "local"
	return n
}

func (n *stackNames) functionARN(name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", n.partition, n.region, n.account, name)
}

func (n *stackNames) stateMachineARN(name string) string {
	return fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", n.partition, n.region, n.account, name)
}

func (n *stackNames) activityARN(name string) string {
	return fmt.Sprintf("arn:%s:states:%s:%s:activity:%s", n.partition, n.region, n.account, name)
}

// stateMachineName is the deployed name: `name:`, else the logical id (on
// AWS CloudFormation would generate one).
func stateMachineName(sm slsconfig.StateMachine) string {
	if sm.Name != "" {
		return sm.Name
	}
	return sm.LogicalID
}

// bucketName is the local name of a bucket: its BucketName, else one
// derived from the service, stage and logical id (on AWS CloudFormation
// generates a unique one).
func bucketName(svc *slsconfig.Service, b slsconfig.Bucket) string {
	if _, named := b.Properties["BucketName"]; named && b.BucketName != "" {
		return b.BucketName
	}
	return strings.ToLower(svc.Name + "-" + svc.Stage + "-" + b.LogicalID)
}

// resourceTypes maps each logical id of resources.Resources to its Type.
func resourceTypes(svc *slsconfig.Service) map[string]string {
	out := map[string]string{}
	res, _ := svc.Config["resources"].(map[string]any)
	all, _ := res["Resources"].(map[string]any)
	for id, r := range all {
		if m, ok := r.(map[string]any); ok {
			if typ, ok := m["Type"].(string); ok {
				out[id] = typ
			}
		}
	}
	return out
}

// withSQS points the queues' URLs at the local SQS served at base, where
// messaging.go creates them.
func (n *stackNames) withSQS(svc *slsconfig.Service, base string) {
	for _, q := range svc.Queues {
		u := base + "/" + n.account + "/" + q.QueueName
		n.refs[q.LogicalID] = u
		n.attrs[q.LogicalID+".QueueUrl"] = u
	}
}
