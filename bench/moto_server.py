"""The bench's AWS: ``moto_server``, with DynamoDB calls whose cost does not grow with the table.

moto (5.x) answers a ``Query`` by sorting every item of the table and keeping the partition
asked for, and deep-copies the whole table before a ``TransactWriteItems`` (once per action),
so that it can roll back. Both then take time in proportion to the table: seeding door C
(thousands of file requests, each one transaction) went from ≈ 50 ms to ≈ 250 ms per request
after 1,200 of them, and a run took half an hour. Here a query reads only the items of the
partition it names (of the table, or of the index: moto keeps no index copies, it picks the
table's items by their index key), and a transaction backs up only the items its actions
name and restores those when it fails. The answers are moto's own; only their cost changes.
AWS time is not the function's (the warm overhead leaves it out), but it is the bench's.

It serves one request at a time (moto_server's own threads cost ≈ 1 ms of every call, and
each of the bench's servers has one client at a time), over HTTP/1.0 as werkzeug does then.

Run as ``python -m bench.moto_server -H 127.0.0.1 -p PORT``.
"""

from __future__ import annotations

import argparse
import copy
import inspect
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_whole_table_transact = DynamoDBBackend.transact_write_items


@contextmanager
def _tables_not_copied() -> Iterator[None]:
    """``copy.deepcopy(table)`` hands back the table itself while moto's transaction runs."""
    Table.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del Table.__deepcopy__  # type: ignore[attr-defined]


Backup = tuple[Table, DynamoType, DynamoType | None, Any]


def _backups(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Backup]:
    backups: list[Backup] = []
    for action in transact_items:
        _, operation = next(iter(action.items()))
        table = backend.tables[operation["TableName"]]
        key = operation["Item"] if "Item" in operation else operation["Key"]
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        backups.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
    return backups


def _restore(backups: list[Backup]) -> None:
    for table, hash_value, range_value, item in reversed(backups):
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        elif item is None:
            table.items.get(hash_value, {}).pop(range_value, None)
            if hash_value in table.items and not table.items[hash_value]:
                del table.items[hash_value]
        else:
            table.items[hash_value][range_value] = item


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    try:
        backups = _backups(self, transact_items)
    except Exception:  # a malformed request: moto's own checks answer it, with its own backup
        _whole_table_transact(self, transact_items)
        return
    with _tables_not_copied():
        try:
            _whole_table_transact(self, transact_items)
        except Exception:
            _restore(backups)
            raise


_whole_table_query = Table.query
_QUERY_SIGNATURE = inspect.signature(_whole_table_query)


def _partition(table: Table, hash_key: DynamoType, index_name: str | None) -> list[Any] | None:
    """The items a query of ``hash_key`` (on the table, or on the index) can return; None: not sure."""
    if index_name is None:
        if not table.range_key_attr:
            item = table.items.get(hash_key)
            return [item] if item is not None else []
        return list(table.items.get(hash_key, {}).values())
    hash_attributes = [key["AttributeName"] for key in table.get_index(index_name).schema if key["KeyType"] == "HASH"]
    if len(hash_attributes) != 1:
        return None
    every = (item for items in table.items.values() for item in (items.values() if table.range_key_attr else [items]))
    return [item for item in every if (value := item.attrs.get(hash_attributes[0])) is not None and value == hash_key]


def query(self: Table, *args: Any, **kwargs: Any) -> Any:
    bound = _QUERY_SIGNATURE.bind(self, *args, **kwargs)
    hash_key, index_name = bound.arguments.get("hash_key"), bound.arguments.get("index_name")
    items = _partition(self, hash_key, index_name) if hash_key is not None else None
    if items is None:
        return _whole_table_query(self, *args, **kwargs)
    self.all_items = lambda: items  # type: ignore[method-assign]  # moto's query reads the table through it
    try:
        return _whole_table_query(self, *args, **kwargs)
    finally:
        del self.all_items


DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
Table.query = query  # type: ignore[method-assign]


def serve() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto names queue URLs and the like after it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    serve()
