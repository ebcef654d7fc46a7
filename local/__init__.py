"""The local stack behind ``make run``, ``make token``, ``make invoke`` and ``make reset`` (never deployed).

``server`` routes the template's HTTP routes to the real handlers like API Gateway and Lambda;
``local_aws`` starts the embedded AWS (moto) with the template's resources, and ``recording``
keeps its data across restarts in ``.local/`` (``state``); ``queues`` consumes the SQS queues
like Lambda's event source mapping; ``sms`` keeps the SMS log of ``/_local/sms``; ``invoke`` is
a Docker-free ``sam local invoke``; ``tokens`` signs and checks local JWTs; ``events`` builds
API Gateway's events; ``template`` reads ``template.yaml``; ``openapi`` serves ``/openapi.json``.
The tests drive the handlers through the same routing and event building.
"""
