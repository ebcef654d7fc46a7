"""The logger shared by every function.

No request body, header, claim value, file name or presigned URL is ever logged:
ids, statuses and field names only. Event logging stays off.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()

# API Gateway's request id: every log line of one request carries it.
CORRELATION_HTTP = correlation_paths.API_GATEWAY_HTTP
