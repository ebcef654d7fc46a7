"""The bench's report: numbers in, Markdown out (no measuring here, so it can be tested)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

MB = 1024 * 1024
COLD_RATIO_TARGET = 1.3
WARM_MEDIAN_TARGET_MS = 2.0
LAYERS_TARGET_BYTES = 15 * MB
RSS_GROWTH_NOISE_KB = 512  # page-granular RSS moves by a few hundred KB on its own


@dataclass
class Row:
    function: str
    route: str
    example: str
    status: str = "-"
    cold_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    libraries_ms: list[float] = field(default_factory=list)
    cold_cpu_ms: list[float] = field(default_factory=list)
    floor_cpu_ms: list[float] = field(default_factory=list)
    calls: str = "-"
    call_count: int | None = None
    minimum: int | None = None
    why: str = ""
    overhead_median_ms: float | None = None
    overhead_p99_ms: float | None = None
    peak_rss_kb: int | None = None
    rss_growth_kb: int | None = None
    rss_second_half_kb: int | None = None  # growth over the last half alone: a leak keeps growing
    code_bytes: int = 0
    file_bytes: int | None = None

    @property
    def cold_median(self) -> float | None:
        return statistics.median(self.cold_ms) if self.cold_ms else None

    @property
    def floor_median(self) -> float | None:
        return statistics.median(self.floor_ms) if self.floor_ms else None

    @property
    def cpu_ratio(self) -> float | None:
        if not self.cold_cpu_ms or not self.floor_cpu_ms:
            return None
        return statistics.median(self.cold_cpu_ms) / statistics.median(self.floor_cpu_ms)

    @property
    def libraries_median(self) -> float | None:
        return statistics.median(self.libraries_ms) if self.libraries_ms else None

    @property
    def libraries_ratio(self) -> float | None:
        libraries, floor = self.libraries_median, self.floor_median
        return libraries / floor if libraries is not None and floor else None

    @property
    def ratio(self) -> float | None:
        cold, floor = self.cold_median, self.floor_median
        return cold / floor if cold is not None and floor else None


@dataclass
class Layer:
    name: str
    bytes: int  # sources only, as sam build unpacks them
    largest: list[tuple[str, int]] = field(default_factory=list)
    compiled_bytes: int | None = None  # with the .pyc make build adds

    @property
    def shipped_bytes(self) -> int:
        return self.compiled_bytes if self.compiled_bytes is not None else self.bytes


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _kb(value: int | None) -> str:
    """Bytes as KB, or KB as MB."""
    return "-" if value is None else f"{value / 1024:.1f}"


def _libraries(row: Row) -> str:
    if row.libraries_median is None:
        return "-"
    return f"{row.libraries_median:.0f} ({row.libraries_ratio:.2f})"


def _growth(row: Row) -> str:
    if row.rss_growth_kb is None:
        return "-"
    if row.rss_second_half_kb is None:
        return str(row.rss_growth_kb)
    return f"{row.rss_growth_kb} ({row.rss_second_half_kb:+d})"


def _calls(row: Row) -> str:
    if row.call_count is None:
        return "-"
    mark = "" if row.minimum is None or row.call_count <= row.minimum else " ✗"
    return f"{row.call_count} ({row.calls}){mark}"


def function_table(rows: list[Row]) -> list[str]:
    lines = [
        "| function | status | cold ms | floor ms | ratio | CPU ratio | libs ms (ratio) | AWS calls | min "
        "| warm med ms | warm p99 ms | peak RSS MB | RSS growth KB (2nd half) | code KB | file bytes via Lambda |",
        "|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.function} | {row.status} | {_num(row.cold_median)} | {_num(row.floor_median)} "
            f"| {_num(row.ratio, 2)} | {_num(row.cpu_ratio, 2)} | {_libraries(row)} | {_calls(row)} "
            f"| {_num(row.minimum)} | {_num(row.overhead_median_ms, 2)} "
            f"| {_num(row.overhead_p99_ms, 2)} | {_kb(row.peak_rss_kb)} | {_growth(row)} "
            f"| {_kb(row.code_bytes)} | {_num(row.file_bytes)} |"
        )
    return lines


def layer_table(layers: list[Layer]) -> list[str]:
    lines = ["| layer | sources MB | with .pyc MB | largest parts (sources, MB) |", "|---|--:|--:|---|"]
    for layer in layers:
        parts = ", ".join(f"{name} {size / MB:.1f}" for name, size in layer.largest)
        lines.append(f"| {layer.name} | {layer.bytes / MB:.2f} | {layer.shipped_bytes / MB:.2f} | {parts} |")
    total = sum(layer.bytes for layer in layers)
    shipped = sum(layer.shipped_bytes for layer in layers)
    lines.append(
        f"| **total** | **{total / MB:.2f}** | **{shipped / MB:.2f}** | target ≤ {LAYERS_TARGET_BYTES / MB:.0f} |"
    )
    return lines


def verdicts(rows: list[Row], layers: list[Layer]) -> list[str]:
    """One line per target: holds, or which functions miss it and by how much."""
    measured = [row for row in rows if row.ratio is not None]
    cold_misses = [f"{r.function} {r.ratio:.2f}" for r in measured if r.ratio and r.ratio > COLD_RATIO_TARGET]
    call_misses = [
        f"{r.function} {r.call_count} > {r.minimum}"
        for r in rows
        if r.call_count is not None and r.minimum is not None and r.call_count > r.minimum
    ]
    warm_misses = [
        f"{r.function} {r.overhead_median_ms:.2f} ms"
        for r in rows
        if r.overhead_median_ms is not None and r.overhead_median_ms > WARM_MEDIAN_TARGET_MS
    ]
    rss_misses = [
        f"{r.function} +{r.rss_growth_kb} KB"
        for r in rows
        if r.rss_growth_kb is not None and r.rss_growth_kb > RSS_GROWTH_NOISE_KB
    ]
    total = sum(layer.shipped_bytes for layer in layers)

    def verdict(name: str, misses: list[str]) -> str:
        return f"- {name}: " + ("holds" if not misses else "misses — " + "; ".join(misses))

    return [
        verdict(f"cold init ≤ {COLD_RATIO_TARGET} × floor", cold_misses),
        verdict("AWS calls at the minimum", call_misses),
        verdict(f"warm overhead median ≤ {WARM_MEDIAN_TARGET_MS:.0f} ms", warm_misses),
        verdict(f"no RSS growth (≤ {RSS_GROWTH_NOISE_KB} KB over the warm loop)", rss_misses),
        verdict(
            f"layers ≤ {LAYERS_TARGET_BYTES / MB:.0f} MB unzipped",
            [] if total <= LAYERS_TARGET_BYTES else [f"{total / MB:.2f} MB"],
        ),
    ]


def render(rows: list[Row], layers: list[Layer], header: list[str]) -> str:
    lines = [*header, "", *function_table(rows), "", *layer_table(layers), "", "Targets:", *verdicts(rows, layers)]
    lines += ["", "Why each minimum:"]
    lines += [f"- {row.function}: {row.minimum} — {row.why}" for row in rows]
    lines += ["", "Examples:"]
    lines += [f"- {row.function} ({row.route}): {row.example}" for row in rows]
    return "\n".join(lines) + "\n"
