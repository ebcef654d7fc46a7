"""The bench's AWS: ``moto_server`` with its answers unchanged and their cost cut.

moto (5.x) spends most of a call on work whose cost the bench would otherwise measure as
"AWS time" and wait for, though it is the emulator's and not the function's:

- it answers a ``Query`` by sorting every item of the table and keeping the partition asked
  for, and deep-copies the whole table before a ``TransactWriteItems`` (once per action) so
  that it can roll back: seeding door C (thousands of file requests, each one transaction)
  went from ≈ 50 ms to ≈ 250 ms per request after 1,200 of them. Here a query reads only the
  partition it names (of the table, or of the index: moto keeps no index copies, so the
  table's items are grouped by the index key once, and again after any write), and a
  transaction backs up only the items its actions name and restores those when it fails;
- it writes every DynamoDB answer through botocore's model, looking up each of the ten
  kinds an ``AttributeValue`` may hold under half a dozen spellings, for every attribute of
  every item: ≈ 60 % of a ``Query``'s time. Here an ``AttributeValue`` (a plain dict whose
  keys are all kinds of the model) is written with only the kinds it holds, the rest being
  absent under every spelling; its output is moto's, byte for byte
  (tests/unit/test_bench_moto_server.py);
- per request it lists moto's package directory to find the service, and lists the
  handler class's methods to find the action; both are the same every time, so each is
  looked up once.

It serves one request at a time (moto_server's own threads cost ≈ 1 ms of every call, and
each of the bench's servers has one client at a time), over HTTP/1.0 as werkzeug does then.

Run as ``python -m bench.moto_server -H 127.0.0.1 -p PORT``.
"""

from __future__ import annotations

import argparse
import copy
import functools
import inspect
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import moto.core.responses
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import method_names_from_class as _method_names
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_whole_table_transact = DynamoDBBackend.transact_write_items
_whole_table_query = Table.query
_QUERY_SIGNATURE = inspect.signature(_whole_table_query)
_every_kind_serialized = BaseJSONSerializer._serialize_type_structure
_dynamodb_call = DynamoHandler.call_action

# DynamoDB actions that change no item; any other one (a write, a new table) makes the
# index groups below stale.
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable", "ListTables"})
_writes = 0  # DynamoDB calls so far that may have changed an item
_index_groups: dict[tuple[str, str], tuple[Table, int, dict[DynamoType, list[Item]]]] = {}


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


def _items(table: Table) -> Iterator[Item]:
    partitions: Any = table.items.values()  # items by range key, or the item itself
    for items in partitions:
        yield from items.values() if table.range_key_attr else [items]


def _index_partition(table: Table, attribute: str, hash_key: DynamoType) -> list[Item]:
    """The items whose ``attribute`` is ``hash_key``, from groups made once per write."""
    cached = _index_groups.get((table.name, attribute))
    if cached is None or cached[0] is not table or cached[1] != _writes:
        groups: dict[DynamoType, list[Item]] = {}
        for item in _items(table):
            value = item.attrs.get(attribute)
            if value is not None:
                groups.setdefault(value, []).append(item)
        cached = (table, _writes, groups)
        _index_groups[(table.name, attribute)] = cached
    return list(cached[2].get(hash_key, ()))


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
    return _index_partition(table, hash_attributes[0], hash_key)


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


def dynamodb_call(self: DynamoHandler) -> Any:
    global _writes
    try:
        return _dynamodb_call(self)
    finally:
        if self._get_action() not in _READS:
            _writes += 1


def serialize_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    """An ``AttributeValue`` written with the kinds it holds; anything else as moto writes it."""
    picker = self._value_picker
    if (
        shape.name != "AttributeValue"
        or type(value) is not dict
        or not value.keys() <= shape.members.keys()
        or getattr(picker, "response_transformers", None)
    ):
        _every_kind_serialized(self, serialized, value, shape, key)
        return
    wrapper: Any = self.MAP_TYPE() if key else serialized
    for member_key, member_shape in shape.members.items():
        if member_key in value:  # every other kind is absent however moto spells it
            member_shape.parent = shape
            self._serialize_structure_member(wrapper, value, member_shape, member_key)
    if key:
        self._default_serialize(serialized, wrapper, shape, key)


@functools.cache
def method_names_from_class(clazz: object) -> list[str]:
    return _method_names(clazz)


class Dispatcher(DomainDispatcherApplication):
    """moto_server's dispatcher, remembering which backend serves which host."""

    @functools.cache  # noqa: B019 - one dispatcher per server process, kept for its life
    def get_backend_for_host(self, host: str | None) -> Any:
        return super().get_backend_for_host(host)


_PATCHES: list[tuple[Any, str, Any]] = [
    (DynamoDBBackend, "transact_write_items", transact_write_items),
    (Table, "query", query),
    (DynamoHandler, "call_action", dynamodb_call),
    (BaseJSONSerializer, "_serialize_type_structure", serialize_structure),
    (moto.core.responses, "method_names_from_class", method_names_from_class),
]


@contextmanager
def shortcuts() -> Iterator[None]:
    """moto with the bench's shortcuts, for as long as the block runs (in-process too, for tests)."""
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in _PATCHES]
    for owner, name, replacement in _PATCHES:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
        _index_groups.clear()


def serve() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto names queue URLs and the like after it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with shortcuts():
        run_simple(
            args.host, args.port, Dispatcher(create_backend_app), threaded=False, request_handler=MotoRequestHandler
        )


if __name__ == "__main__":
    serve()
