"""The bench's report builder on made-up numbers (the bench itself never runs in tests)."""

from __future__ import annotations

from bench.table import MB, Layer, Row, render


def test_table_has_a_row_per_function_and_names_the_targets_each_one_misses() -> None:
    # Given one function within every target and one outside them
    fast = Row("FastFunction", "GET /fast", "built from the route", status="200", minimum=1, why="one GetItem")
    fast.cold_ms, fast.floor_ms, fast.libs_ms = [100.0, 110.0, 120.0], [90.0, 95.0, 100.0], [100.0] * 3
    fast.cold_cpu_ms, fast.cold_import_cpu_ms, fast.cold_aws_cpu_ms = [104.0, 112.0, 108.0], [90.0] * 3, [4.0] * 3
    fast.libs_cpu_ms = [100.0, 101.0, 102.0]
    fast.calls = ["GetItem"]
    fast.overhead_median_ms, fast.overhead_p99_ms, fast.rss_growth_kb = 0.8, 1.5, 0
    slow = Row("SlowFunction", "POST /slow", "events/slow.json", status="201", minimum=1, why="one PutItem")
    slow.cold_ms, slow.floor_ms = [300.0] * 9, [100.0] * 9
    slow.cold_cpu_ms, slow.cold_import_cpu_ms, slow.cold_aws_cpu_ms = [250.0] * 9, [200.0] * 9, [10.0] * 9
    slow.libs_cpu_ms = [200.0] * 5
    slow.calls = ["GetItem", "PutItem"]
    slow.overhead_median_ms, slow.overhead_p99_ms, slow.rss_growth_kb = 3.5, 9.0, 4096
    new = Row("NewFunction", "GET /new", "generic event from the route", status="failed: KeyError")
    layers = [Layer("deps", 16 * MB, [("pydantic_core", 5 * MB)])]

    # When the report is rendered
    report = render([fast, slow, new], layers, ["# bench"])

    # Then each function has its row with medians and the ratio, a function without numbers included
    # (own CPU: the median cold CPU outside AWS calls, 104, minus libs' 101; the first request: 104 - 90)
    fast_cells = "| FastFunction | 200 | 110 | 95 | 1.16 | - | 100 (1.05) | 3 (1.03) | 14 | 1 (GetItem) | 1 | 0.80 |"
    assert fast_cells in report
    slow_cells = "| SlowFunction | 201 | 300 | 100 | 3.00 | - | - | 40 (1.20) | 40 | 2 (GetItem+PutItem) ✗ | 1 | 3.50 |"
    assert slow_cells in report
    assert "| NewFunction | failed: KeyError | - | - | - | - | - | - | - | - | - | - | - | - | - | 0.0 | - |" in report
    # And every missed target names the function and the number
    assert "SlowFunction 3.00" in report
    assert "SlowFunction 1.20" in report
    assert "FastFunction 1.03" not in report
    assert "SlowFunction 2 > 1" in report
    assert "SlowFunction 3.50 ms" in report
    assert "SlowFunction +4096 KB" in report
    assert "16.00 MB" in report
    assert "FastFunction 1.16" not in report.split("Targets:")[1]
