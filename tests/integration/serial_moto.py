"""A moto server that serves one AWS call at a time, for tests that race processes against it.

DynamoDB makes each call atomic. moto applies a transaction item by item and undoes a cancelled one
by restoring a copy of each table it touched, taken when the call began: two calls it runs at once
(its threaded server) can undo each other's writes, which DynamoDB never does. Served one at a time,
each call is atomic, as on AWS, while the processes still race between their calls.
"""

from __future__ import annotations

from typing import Any


def serial_moto_server() -> Any:
    """A started-on-``start()`` moto server on a free port of 127.0.0.1 (werkzeug's, not threaded)."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class SerialMotoServer(ThreadedMotoServer):  # type: ignore[misc]
        def _server_entry(self) -> None:
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(self._ip_address, self._port, app, False, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return SerialMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
