"""Image processing in ``make bench``: time and peak memory to render a 12 MP HEIC and a 48 MP JPEG.

Each image is rendered (``logic/image_renditions.render``: decode, turn upright, re-encode the clean
image, a 1600 px preview and a 256 px thumbnail) in a fresh ``python`` process, as a cold Lambda would
meet it; the process reports the render's wall time and its peak resident memory (``ru_maxrss``: Pillow
allocates pixels outside Python's allocator, so tracemalloc would not see them). The HEIC is
``bench/fixtures/12mp.heic`` (made once with an encoder the project does not ship: pi-heif only
decodes); the 48 MP JPEG is made here. ``python -m bench.images`` prints the table alone.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from local.template import ROOT

HEIC_12MP = ROOT / "bench" / "fixtures" / "12mp.heic"
RUNS = 3


def jpeg_48mp() -> bytes:
    """8000 x 6000, a gradient with shapes (compresses like a photo's smooth areas), EXIF turned 90°."""
    from PIL import Image, ImageDraw

    width, height = 8000, 6000
    ramp = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90).resize((width, height)), ramp))
    draw = ImageDraw.Draw(image)
    for i in range(40):
        draw.ellipse([i * 190, i * 140, i * 190 + 600, i * 140 + 600], fill=(i * 6, 255 - i * 6, 90))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def _child(path: str, mime_type: str) -> None:
    """In the measuring process: render once, print the time and memory as JSON."""
    from patient_docs.logic.image_renditions import render

    data = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rendered = render(data, mime_type)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "ms": elapsed * 1000,
                "peak_mb": peak / 1024,
                "render_mb": (peak - before) / 1024,
                "size": [rendered.width, rendered.height],
                "clean_kb": len(rendered.clean) / 1024,
            }
        )
    )


def _measure(path: Path, mime_type: str) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    for _ in range(RUNS):
        command = [sys.executable, "-m", "bench.images", "--child", str(path), mime_type]
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'common'}{os.pathsep}{ROOT}"}
        done = subprocess.run(command, capture_output=True, check=True, cwd=ROOT, env=env)  # noqa: S603 - our own module
        runs.append(json.loads(done.stdout.decode().strip().splitlines()[-1]))
    runs.sort(key=lambda run: run["ms"])
    median: dict[str, Any] = runs[len(runs) // 2]
    median["peak_mb"] = max(run["peak_mb"] for run in runs)
    median["render_mb"] = max(run["render_mb"] for run in runs)
    return median


def table() -> list[str]:
    work = ROOT / "bench" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    big = work / "48mp.jpg"
    if not big.exists():
        big.write_bytes(jpeg_48mp())
    lines = [
        f"Image processing (ImageProcessFunction's render, median of {RUNS} fresh processes; peak = the process's "
        "largest resident set, render = what rendering added to it):",
        "",
        "| image | input KB | pixels | render ms | peak MB | render MB | clean KB |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, path, mime_type in (
        ("12 MP HEIC (4032 × 3024)", HEIC_12MP, "image/heic"),
        ("48 MP JPEG (8000 × 6000, EXIF-rotated)", big, "image/jpeg"),
    ):
        found = _measure(path, mime_type)
        width, height = int(found["size"][0]), int(found["size"][1])
        lines.append(
            f"| {name} | {path.stat().st_size / 1024:.0f} | {width * height / 1e6:.1f} MP | {found['ms']:.0f} | "
            f"{found['peak_mb']:.0f} | {found['render_mb']:.0f} | {found['clean_kb']:.0f} |"
        )
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3])
    else:
        print("\n".join(table()))
