"""The event GuardDuty Malware Protection for S3 publishes for each scanned object, as this service reads it.

``detail-type`` "GuardDuty Malware Protection Object Scan Result", source ``aws.guardduty``, on the
account's default event bus (GuardDuty User Guide, "Monitoring S3 object scans with Amazon
EventBridge"); events/scan_result_record*.json are examples.
"""

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

from patient_docs import warmup


class _Detail(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class S3ObjectDetails(_Detail):
    bucket_name: str = Field(alias="bucketName", min_length=1)
    object_key: str = Field(alias="objectKey", min_length=1)
    e_tag: str | None = Field(default=None, alias="eTag")
    version_id: str | None = Field(default=None, alias="versionId")
    s3_throttled: bool | None = Field(default=None, alias="s3Throttled")


class Threat(_Detail):
    name: str


class ScanResultDetails(_Detail):
    # NO_THREATS_FOUND, THREATS_FOUND, UNSUPPORTED, ACCESS_DENIED or FAILED (rules/scanning.py maps them)
    scan_result_status: str = Field(alias="scanResultStatus", min_length=1)
    threats: list[Threat] | None = None


class ScanResultDetail(_Detail):
    schema_version: str = Field(alias="schemaVersion")
    scan_status: str = Field(alias="scanStatus")  # COMPLETED, SKIPPED or FAILED
    resource_type: str = Field(alias="resourceType")  # S3_OBJECT
    s3_object_details: S3ObjectDetails = Field(alias="s3ObjectDetails")
    scan_result_details: ScanResultDetails = Field(alias="scanResultDetails")


class ScanResultEvent(EventBridgeModel):
    detail: ScanResultDetail  # type: ignore[assignment]


class _Bucket(BaseModel):
    name: str = Field(min_length=1)


class _Object(BaseModel):
    key: str = Field(min_length=1)


class ObjectCreatedDetail(BaseModel):
    bucket: _Bucket
    object: _Object


class ObjectCreatedEvent(EventBridgeModel):
    """S3's "Object Created" event on the default bus (the bucket's EventBridge notifications): what
    starts image processing when no malware scan will (docs/images.md)."""

    detail: ObjectCreatedDetail  # type: ignore[assignment]


warmup.models(ScanResultEvent, ObjectCreatedEvent)  # before a SnapStart snapshot (patient_docs/warmup.py)
