"""The bench's report: numbers in, Markdown out (no measuring here, so it can be tested)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

MB = 1024 * 1024
COLD_RATIO_TARGET = 1.3
OWN_CPU_TARGET = 1.05  # this project's code at a cold start: at most 5% over libs
WARM_MEDIAN_TARGET_MS = 2.0
LAYERS_TARGET_BYTES = 15 * MB
RSS_GROWTH_NOISE_KB = 512  # page-granular RSS moves by a few hundred KB on its own


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


@dataclass
class Row:
    function: str
    route: str
    example: str
    status: str = "-"
    cold_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    libs_ms: list[float] = field(default_factory=list)
    cold_cpu_ms: list[float] = field(default_factory=list)
    cold_import_cpu_ms: list[float] = field(default_factory=list)  # the function module's import
    cold_aws_cpu_ms: list[float] = field(default_factory=list)  # in the first request's AWS calls (botocore)
    floor_cpu_ms: list[float] = field(default_factory=list)
    libs_cpu_ms: list[float] = field(default_factory=list)
    calls: list[str] | None = None
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
    def ratio(self) -> float | None:
        return _ratio(_median(self.cold_ms), _median(self.floor_ms))

    @property
    def cpu_ratio(self) -> float | None:
        return _ratio(_median(self.cold_cpu_ms), _median(self.floor_cpu_ms))

    @property
    def libs_ratio(self) -> float | None:
        return _ratio(_median(self.libs_ms), _median(self.floor_ms))

    def _outside_aws(self) -> list[float]:
        """Each cold start's CPU time outside AWS calls (a run without a meter counts whole)."""
        aws = self.cold_aws_cpu_ms if len(self.cold_aws_cpu_ms) == len(self.cold_cpu_ms) else []
        return [cpu - (aws[index] if aws else 0.0) for index, cpu in enumerate(self.cold_cpu_ms)]

    @property
    def own_cpu_ms(self) -> float | None:
        """What this project's code adds to a cold start: its CPU time outside AWS calls minus libs'."""
        outside, libs = _median(self._outside_aws()), _median(self.libs_cpu_ms)
        return outside - libs if outside is not None and libs is not None else None

    @property
    def own_cpu_ratio(self) -> float | None:
        return _ratio(_median(self._outside_aws()), _median(self.libs_cpu_ms))

    @property
    def request_cpu_ms(self) -> float | None:
        """The first request's CPU time outside AWS calls (clients made on first use included)."""
        if len(self.cold_import_cpu_ms) != len(self.cold_cpu_ms):
            return None
        return _median([o - i for o, i in zip(self._outside_aws(), self.cold_import_cpu_ms, strict=True)])

    @property
    def extra_calls(self) -> int:
        return 0 if self.calls is None or self.minimum is None else max(0, len(self.calls) - self.minimum)


@dataclass
class Layer:
    name: str
    bytes: int  # sources only, as sam build unpacks them
    largest: list[tuple[str, int]] = field(default_factory=list)
    shipped_bytes: int = 0  # with the .pyc make build adds
    api: bool = True  # on the API functions (the images layer is on ImageProcessFunction alone)


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _cells(row: Row) -> list[str]:
    libs = "-" if not row.libs_ms else f"{_median(row.libs_ms):.0f} ({_num(row.libs_ratio, 2)})"
    own = "-" if row.own_cpu_ms is None else f"{row.own_cpu_ms:.0f} ({_num(row.own_cpu_ratio, 2)})"
    calls = "-" if row.calls is None else f"{len(row.calls)} ({'+'.join(row.calls) or '-'})"
    growth = "-" if row.rss_growth_kb is None else f"{row.rss_growth_kb} ({row.rss_second_half_kb or 0:+d})"
    return [
        row.function,
        row.status,
        _num(_median(row.cold_ms)),
        _num(_median(row.floor_ms)),
        _num(row.ratio, 2),
        _num(row.cpu_ratio, 2),
        libs,
        own,
        _num(row.request_cpu_ms),
        calls + (" ✗" if row.extra_calls else ""),
        _num(row.minimum),
        _num(row.overhead_median_ms, 2),
        _num(row.overhead_p99_ms, 2),
        "-" if row.peak_rss_kb is None else f"{row.peak_rss_kb / 1024:.1f}",
        growth,
        f"{row.code_bytes / 1024:.1f}",
        _num(row.file_bytes),
    ]


HEADER = (
    "| function | status | cold ms | floor ms | ratio | CPU ratio | libs ms (ratio) | own CPU ms (÷ libs) "
    "| 1st request CPU ms | AWS calls | min | warm med ms | warm p99 ms | peak RSS MB | RSS growth KB (2nd half) "
    "| code KB | file bytes via Lambda |\n"
    "|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|"
)


def layer_table(layers: list[Layer]) -> list[str]:
    lines = ["| layer | sources MB | with .pyc MB | largest parts (sources, MB) |", "|---|--:|--:|---|"]
    api = [x for x in layers if x.api]
    for layer in [*api, *(x for x in layers if not x.api)]:
        parts = ", ".join(f"{name} {size / MB:.1f}" for name, size in layer.largest)
        lines.append(
            f"| {layer.name} | {layer.bytes / MB:.2f} | {(layer.shipped_bytes or layer.bytes) / MB:.2f} | {parts} |"
        )
        if layer is api[-1]:
            total, shipped = sum(x.bytes for x in api), sum(x.shipped_bytes or x.bytes for x in api)
            lines.append(
                f"| **API functions' total** | **{total / MB:.2f}** | **{shipped / MB:.2f}** | "
                f"target ≤ {LAYERS_TARGET_BYTES / MB:.0f} |"
            )
    return lines


def verdicts(rows: list[Row], layers: list[Layer]) -> list[str]:
    """One line per target: holds, or which functions miss it and by how much."""
    shipped = sum(layer.shipped_bytes or layer.bytes for layer in layers if layer.api)
    targets = {
        f"cold init ≤ {COLD_RATIO_TARGET} × floor": [
            f"{r.function} {r.ratio:.2f}" for r in rows if (r.ratio or 0) > COLD_RATIO_TARGET
        ],
        f"own code ≤ {OWN_CPU_TARGET - 1:.0%} over libs (CPU outside AWS calls)": [
            f"{r.function} {r.own_cpu_ratio:.2f}" for r in rows if (r.own_cpu_ratio or 0) > OWN_CPU_TARGET
        ],
        "AWS calls at the minimum": [f"{r.function} {len(r.calls or [])} > {r.minimum}" for r in rows if r.extra_calls],
        f"warm overhead median ≤ {WARM_MEDIAN_TARGET_MS:.0f} ms": [
            f"{r.function} {r.overhead_median_ms:.2f} ms"
            for r in rows
            if (r.overhead_median_ms or 0) > WARM_MEDIAN_TARGET_MS
        ],
        f"no RSS growth (≤ {RSS_GROWTH_NOISE_KB} KB over the warm loop)": [
            f"{r.function} +{r.rss_growth_kb} KB" for r in rows if (r.rss_growth_kb or 0) > RSS_GROWTH_NOISE_KB
        ],
        f"API functions' layers ≤ {LAYERS_TARGET_BYTES / MB:.0f} MB unzipped": [f"{shipped / MB:.2f} MB"]
        * (shipped > LAYERS_TARGET_BYTES),
    }
    return [f"- {name}: " + ("misses — " + "; ".join(m) if m else "holds") for name, m in targets.items()]


def render(rows: list[Row], layers: list[Layer], header: list[str], images: list[str] | None = None) -> str:
    table = [HEADER, *("| " + " | ".join(_cells(row)) + " |" for row in rows)]
    lines = [*header, "", *table, "", *layer_table(layers), "", *(images or []), "", "Targets:"]
    lines += verdicts(rows, layers)
    lines += [
        "",
        "Why each minimum:",
        *(f"- {r.function}: {r.minimum} — {r.why}" for r in rows if r.minimum is not None),
    ]
    lines += ["", "Examples:", *(f"- {r.function} ({r.route}): {r.example}" for r in rows)]
    return "\n".join(lines) + "\n"
