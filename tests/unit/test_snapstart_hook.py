"""SnapStart: the clients are made before the snapshot, so a restored process makes none."""

from __future__ import annotations

import snapshot_restore_py

from patient_docs.adapters import aws


def test_the_before_snapshot_hook_is_registered_and_makes_every_client(monkeypatch):
    # Given no client made yet
    for make in (aws.dynamodb, aws.s3, aws.events, aws.sns):
        make.cache_clear()
    # When the runtime runs the hooks registered before a snapshot
    hooks = [hook for hook, _, _ in snapshot_restore_py.get_before_snapshot()]
    assert aws.make_clients_before_snapshot in hooks
    aws.make_clients_before_snapshot()
    # Then each client exists, and the first request after a restore uses it as made
    assert [make.cache_info().currsize for make in (aws.dynamodb, aws.s3, aws.events, aws.sns)] == [1, 1, 1, 1]
    assert aws.dynamodb() is aws.dynamodb()
