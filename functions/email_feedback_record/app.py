"""SNS (SES bounce and complaint events of email notices) — record each on its file request."""

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.logic.email_feedback import record_email_feedback
from patient_docs.observability import logger
from patient_docs.rules.timestamps import utc_now


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    outcomes = [record_email_feedback(json.loads(record["Sns"]["Message"]), utc_now()) for record in event["Records"]]
    return {"outcomes": outcomes}
