"""Drives the local SQS through boto3: python3 boto3_sqs.py ENDPOINT.

Exits non-zero with a message on the first thing that differs from AWS.
"""
import hashlib
import sys

import boto3
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")

url = sqs.create_queue(QueueName="boto", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
assert url == endpoint + "/000000000000/boto", url
assert sqs.get_queue_url(QueueName="boto")["QueueUrl"] == url
assert url in sqs.list_queues(QueueNamePrefix="bo")["QueueUrls"]

body = "hello from boto3 ✓"
sent = sqs.send_message(QueueUrl=url, MessageBody=body,
                        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})
assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest(), sent

got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                          MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
msgs = got["Messages"]
assert len(msgs) == 1, got
m = msgs[0]
assert m["Body"] == body and m["MessageId"] == sent["MessageId"], m
assert m["Attributes"]["ApproximateReceiveCount"] == "1", m
assert m["MessageAttributes"]["kind"]["StringValue"] == "test", m
assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"], m

attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1", attrs
assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:boto", attrs

sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0", attrs

try:
    sqs.get_queue_url(QueueName="missing")
    raise SystemExit("get_queue_url of a missing queue succeeded")
except ClientError as e:
    code = e.response["Error"]["Code"]
    assert code == "AWS.SimpleQueueService.NonExistentQueue", e.response
    assert isinstance(e, sqs.exceptions.QueueDoesNotExist), type(e)

sqs.delete_queue(QueueUrl=url)
print("ok")
