"""boto3 clients, created once per container on first use, or before a SnapStart snapshot.

Endpoints come from the standard ``AWS_ENDPOINT_URL*`` variables, which is how the
local server and the tests point the same code at the embedded AWS. With SnapStart (the template's
``SnapStart`` parameter) the clients are made before the snapshot is taken, so a restored process
makes none; a client holds no connection, credentials or random state until its first call.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from snapshot_restore_py import register_before_snapshot

from patient_docs import warmup
from patient_docs.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

_RETRIES: Any = {"mode": "standard", "max_attempts": 3}
_DEFAULT = Config(retries=_RETRIES, connect_timeout=3, read_timeout=8)


@cache
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_DEFAULT)


def s3_addressing() -> Any:  # botocore's S3 options (a TypedDict in the stubs)
    """Presigned URLs name the bucket's regional virtual host, ``{bucket}.s3.{region}.amazonaws.com``.

    A bucket outside us-east-1 answers the global host with 307 redirects for up to a day after it is
    made, and a browser's CORS upload does not follow them. A custom endpoint (the local server's
    embedded AWS) has no per-bucket hosts: path-style there.
    """
    if get_settings().s3_endpoint_url:
        return {"addressing_style": "path"}
    return {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}


@cache
def s3() -> S3Client:
    # SigV4 is what browsers and curl need for presigned POST/GET against KMS-encrypted objects.
    return boto3.client("s3", config=_DEFAULT.merge(Config(signature_version="s3v4", s3=s3_addressing())))


@cache
def events() -> EventBridgeClient:
    return boto3.client("events", config=_DEFAULT)


@cache
def sns() -> SNSClient:
    return boto3.client("sns", config=_DEFAULT)


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs", config=_DEFAULT)


@cache
def ses() -> Any:  # no SES stubs are installed
    return boto3.client("ses", config=_DEFAULT)


@cache
def scheduler() -> Any:  # no EventBridge Scheduler stubs are installed
    return boto3.client("scheduler", config=_DEFAULT)


def make_clients_before_snapshot() -> None:
    """SnapStart's before-snapshot hook (the Lambda runtime provides ``snapshot_restore_py``): the clients,
    then a first validation of what the function validates (``patient_docs/warmup.py``)."""
    dynamodb()
    s3()
    events()
    sns()
    sqs()
    warmup.run()


register_before_snapshot(make_clients_before_snapshot)
