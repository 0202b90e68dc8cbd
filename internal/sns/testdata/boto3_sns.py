"""Drives the local SNS and SQS through boto3:
python3 boto3_sns.py SNS_ENDPOINT SQS_ENDPOINT.

Exits non-zero with a message on the first thing that differs from AWS.
"""
import json
import sys

import boto3
from botocore.exceptions import ClientError

sns_endpoint, sqs_endpoint = sys.argv[1], sys.argv[2]
creds = dict(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
sns = boto3.client("sns", endpoint_url=sns_endpoint, **creds)
sqs = boto3.client("sqs", endpoint_url=sqs_endpoint, **creds)

queue_url = sqs.create_queue(QueueName="boto-inbox")["QueueUrl"]
queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

topic_arn = sns.create_topic(Name="boto-topic")["TopicArn"]
assert topic_arn == "arn:aws:sns:us-east-1:000000000000:boto-topic", topic_arn
assert topic_arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]

sub_arn = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
assert [s["SubscriptionArn"] for s in subs] == [sub_arn], subs

msg_id = sns.publish(TopicArn=topic_arn, Message="hello from boto3", Subject="greeting",
                     MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})["MessageId"]

got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
msgs = got.get("Messages", [])
assert len(msgs) == 1, got
note = json.loads(msgs[0]["Body"])
assert note["Type"] == "Notification", note
assert note["MessageId"] == msg_id, note
assert note["TopicArn"] == topic_arn, note
assert note["Message"] == "hello from boto3", note
assert note["Subject"] == "greeting", note
assert note["MessageAttributes"] == {"kind": {"Type": "String", "Value": "test"}}, note
sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=msgs[0]["ReceiptHandle"])

try:
    sns.publish(TopicArn=topic_arn + "-missing", Message="x")
    raise SystemExit("publish to a missing topic succeeded")
except ClientError as e:
    assert e.response["Error"]["Code"] == "NotFound", e.response
    assert isinstance(e, sns.exceptions.NotFoundException), type(e)

sns.unsubscribe(SubscriptionArn=sub_arn)
sns.delete_topic(TopicArn=topic_arn)
print("ok")
