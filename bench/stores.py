"""A second DynamoDB for door B's list at scale: dynalite, whose Query reads only its key range.

moto's ``Table.query`` walks every item of the table in Python whatever the key condition and ``Limit``,
so on the bench's moto server every Query's time grows with the table, not with what it reads. dynalite
(a DynamoDB implementation on LevelDB, here in memory) reads a Query's key range from a sorted store,
as DynamoDB does, so its time follows the items a request reads. It implements the calls the list makes
(Query on the table and its indexes, GetItem, conditional PutItem, BatchWriteItem and UpdateItem for the
seeding), not transactions: only the list section runs on it.

It comes from the npm registry at the version ``bench/node/package-lock.json`` pins (with its hashes),
installed with ``npm ci`` into ``bench/.work/node`` once; without Node.js and npm the list section says
so and measures on moto alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local.template import ROOT

PINNED = ROOT / "bench" / "node"
INSTALLED = ROOT / "bench" / ".work" / "node"
CAPACITY = {"ReadCapacityUnits": 10_000, "WriteCapacityUnits": 10_000}  # dynalite wants provisioned tables


class Unavailable(RuntimeError):
    """dynalite could not be installed or started here (the reason is the message)."""


def install() -> Path:
    """dynalite's command-line entry, installed once per version of the lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise Unavailable("Node.js and npm are not on PATH")
    lock = (PINNED / "package-lock.json").read_bytes()
    marker = INSTALLED / f".installed-{hashlib.sha256(lock).hexdigest()[:16]}"
    cli = INSTALLED / "node_modules" / "dynalite" / "cli.js"
    if marker.exists() and cli.exists():
        return cli
    shutil.rmtree(INSTALLED, ignore_errors=True)
    INSTALLED.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PINNED / name, INSTALLED / name)
    command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    done = subprocess.run(command, cwd=INSTALLED, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0 or not cli.exists():
        raise Unavailable(f"npm ci failed: {(done.stderr.strip().splitlines() or ['no output'])[-1][:120]}")
    marker.touch()
    return cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _copy_tables(source: Any, target: Any) -> list[str]:
    """The source's tables (keys and indexes, as ``describe_table`` gives them), empty, in the target."""
    names = source.list_tables()["TableNames"]
    for name in names:
        described = source.describe_table(TableName=name)["Table"]
        table: dict[str, Any] = {
            "TableName": name,
            "KeySchema": described["KeySchema"],
            "AttributeDefinitions": described["AttributeDefinitions"],
            "ProvisionedThroughput": CAPACITY,
        }
        indexes = [
            {**{key: index[key] for key in ("IndexName", "KeySchema", "Projection")}, "ProvisionedThroughput": CAPACITY}
            for index in described.get("GlobalSecondaryIndexes", [])
        ]
        if indexes:
            table["GlobalSecondaryIndexes"] = indexes
        target.create_table(**table)
        target.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    return list(names)


@contextlib.contextmanager
def dynalite(source_endpoint: str) -> Iterator[str]:
    """A dynalite server holding the moto server's tables (empty); while inside, this process's DynamoDB
    calls (``AWS_ENDPOINT_URL_DYNAMODB``, a new client) go to it. Yields its endpoint."""
    import boto3

    from patient_docs.adapters import aws as clients

    cli = install()
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our installed copy, fixed arguments
        [str(shutil.which("node")), str(cli), "--port", str(port), "--host", "127.0.0.1", "--createTableMs", "50"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint, before = f"http://127.0.0.1:{port}", os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise Unavailable("dynalite did not start") from None
                time.sleep(0.1)
        _copy_tables(
            boto3.client("dynamodb", endpoint_url=source_endpoint), boto3.client("dynamodb", endpoint_url=endpoint)
        )
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        clients.dynamodb.cache_clear()  # the next client reads the endpoint
        yield endpoint
    finally:
        if before is None:
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        else:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = before
        clients.dynamodb.cache_clear()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
