"""POST /v1/patient-devices — door C: a patient's app registers for push notifications."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.register_patient_device import register_patient_device
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.timestamps import iso_with_offset, utc_now
from patient_docs.schemas.file_requests import DeviceOut, RegisterDeviceBody

app = file_requests.resolver()


@app.post(
    "/v1/patient-devices",
    operation_id="registerPatientDevice",
    status_code=201,
    summary="Register the calling patient's app device; later requests arrive by push",
    tags=["Door C: file requests"],
    responses=file_requests.DEVICE_ERRORS,
)
def register(request: RegisterDeviceBody) -> DeviceOut:
    patient = register_patient_device(caller_from_event(app.current_event), request)
    return DeviceOut(
        patient_id=patient.patient_id,
        patient_number=patient.patient_number,
        registered_at=iso_with_offset(patient.device_registered_at or utc_now()),
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
