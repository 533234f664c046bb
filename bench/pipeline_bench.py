"""Document pipeline timings, peak memory for a 15 MB upload, and the auto-crop hit rate.

    .venv/bin/python bench/pipeline_bench.py [--runs 30] [--pages 40]

Prints a Markdown report and writes it to bench/results/pipeline.md. DESIGN §10's budget is
300 ms of server image pipeline per page.
"""

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import cv2
import img2pdf
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.make_fixtures import camera_exif, ensure_fixtures, jpeg, synthetic_pages  # noqa: E402
from webapp.documents.crop import find_outline  # noqa: E402
from webapp.documents.export import fit_to_budget  # noqa: E402
from webapp.documents.pdf import process_pdf  # noqa: E402
from webapp.documents.pipeline import assemble_pdf, process_image, thumbnail  # noqa: E402

MEMORY_PROBE = textwrap.dedent(
    """
    import resource, sys, tracemalloc
    from pathlib import Path
    from webapp.documents.pdf import process_pdf
    from webapp.documents.pipeline import process_image
    data = Path(sys.argv[1]).read_bytes()
    process = process_pdf if sys.argv[1].endswith(".pdf") else process_image
    if sys.argv[2] == "rss":
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        process(data, sys.argv[1])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(before, after)
    else:
        tracemalloc.start()
        process(data, sys.argv[1])
        print(tracemalloc.get_traced_memory()[1] // 1024)
    """
)
# Linux hands a parent's peak RSS down to a child it forks, so ru_maxrss in a direct child of
# this (by then large) process would start at our peak. The probe runs as a grandchild, under a
# small launcher whose own peak is all it inherits.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def timed(function, runs: int) -> tuple[float, float]:
    """Median and 95th percentile wall time of function(), in milliseconds, after one warm-up."""
    function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), float(np.percentile(samples, 95))


def big_upload(photo: bytes, limit: int = 15 * 1024 * 1024) -> bytes:
    """A 7000×5250 (36.75 MP) noisy JPEG just under 15 MB, the largest upload accepted."""
    image = Image.open(io.BytesIO(photo)).resize((7000, 5250), Image.Resampling.BICUBIC)
    grain = np.empty((5250, 7000, 1), np.int16)
    cv2.setRNGSeed(15)
    cv2.randn(grain, 0, 6)
    pixels = np.clip(np.asarray(image, np.int16) + grain, 0, 255).astype(np.uint8)
    noisy = Image.fromarray(pixels)
    for quality in range(97, 60, -1):
        data = jpeg(noisy, quality, exif=camera_exif(6))
        if len(data) <= limit:
            return data
    raise RuntimeError("could not make a 15 MB JPEG")


def transparent_png() -> bytes:
    """A 5000×5000 RGBA 'screenshot' with a transparent corner: a few hundred KB, 25 MP
    (the PNG pixel limit)."""
    image = Image.new("RGBA", (5000, 5000), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    for top in range(100, 4900, 40):
        draw.rectangle((300, top, 4700, top + 12), fill=(30, 30, 30, 255))
    draw.rectangle((0, 0, 2000, 2000), fill=(0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def memory(path: Path) -> tuple[int, int, int]:
    """Peak RSS before and after processing the file, and tracemalloc's peak, in KiB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rss = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-c", MEMORY_PROBE, str(path), "rss"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    traced = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path), "trace"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return int(rss[0]), int(rss[1]), int(traced)


def hit(found, truth, size) -> bool:
    """All four corners within 3 % of the diagonal, under the best rotation of corner order."""
    if found is None:
        return False
    found, truth = np.array(found), np.array(truth)
    worst = min(np.linalg.norm(np.roll(found, k, 0) - truth, axis=1).max() for k in range(4))
    return worst <= 0.03 * np.hypot(*size)


def main() -> None:
    """Run everything and print the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    files = {name: path.read_bytes() for name, path in ensure_fixtures().items()}
    phone, raw = files["phone_2048.jpg"], files["photo_12mp.jpg"]
    phone_exif = jpeg(Image.open(io.BytesIO(phone)), 80, exif=camera_exif(6))
    started = time.perf_counter()
    heic_out = io.BytesIO()
    Image.open(io.BytesIO(raw)).save(
        heic_out, "HEIF", quality=80, exif=camera_exif(1), enc_params={"preset": "ultrafast"}
    )
    heic, heic_encode_s = heic_out.getvalue(), time.perf_counter() - started
    page = process_image(phone, "blob")
    photo = Image.open(io.BytesIO(phone)).convert("RGB")
    ten_pages = [page] * 10
    scan_pdf = img2pdf.convert([raw] * 4)
    lines = [
        "# Document pipeline bench",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load_before:.2f} at start. {args.runs} runs each, after one warm-up.",
        "",
        "| step | input | median ms | p95 ms |",
        "| --- | --- | ---: | ---: |",
    ]
    cases = [
        (
            "process_image (kept as is)",
            f"phone JPEG 2048×1536 q80, {len(phone) // 1024} KB",
            lambda: process_image(phone, "blob"),
        ),
        (
            "process_image (re-encoded)",
            "same with EXIF orientation 6 + GPS",
            lambda: process_image(phone_exif, "p.jpg"),
        ),
        (
            "process_image",
            f"raw 12 MP JPEG 4000×3000 q92, {len(raw) // 1024} KB",
            lambda: process_image(raw, "IMG.jpg"),
        ),
        (
            "process_image",
            f"12 MP HEIC (one HEVC image, not tiled), {len(heic) // 1024} KB",
            lambda: process_image(heic, "IMG.heic"),
        ),
        ("assemble_pdf, per page", "10 phone pages", lambda: assemble_pdf(ten_pages)),
        ("thumbnail", "phone page → 320 px", lambda: thumbnail(page)),
        (
            "process_pdf",
            f"4-page image PDF, {len(scan_pdf) // 1024} KB",
            lambda: process_pdf(scan_pdf, "s.pdf"),
        ),
        (
            "find_outline",
            "phone photo 2048×1536",
            lambda: find_outline(photo),
        ),
    ]
    for step, source, function in cases:
        median, p95 = timed(function, args.runs)
        if step.endswith("per page"):
            median, p95 = median / 10, p95 / 10
        lines.append(f"| {step} | {source} | {median:.1f} | {p95:.1f} |")
        print(lines[-1], flush=True)
    budget_set = [(f"{i}.pdf", img2pdf.convert([raw, raw])) for i in range(3)]
    started = time.perf_counter()
    fit_to_budget(budget_set)
    elapsed = (time.perf_counter() - started) * 1000
    total = sum(len(data) for _, data in budget_set) / 2**20
    lines.append(f"| fit_to_budget | {total:.1f} MB, 6 photos → 10 MB | {elapsed:.0f} (1 run) | |")
    lines += ["", f"(HEIC fixture encoding by x265 took {heic_encode_s:.1f} s, not counted.)", ""]

    with tempfile.TemporaryDirectory() as directory:
        upload = Path(directory) / "upload.jpg"
        upload.write_bytes(big_upload(raw))
        pdf_upload = Path(directory) / "upload.pdf"
        pdf_upload.write_bytes(img2pdf.convert([raw] * 4))
        png_upload = Path(directory) / "screenshot.png"
        png_upload.write_bytes(transparent_png())
        lines += [
            "| peak memory | input | ru_maxrss before → after | delta | tracemalloc peak |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        uploads = (
            ("process_image", upload, "36.75 MP"),
            ("process_pdf", pdf_upload, "4 pages of 12 MP"),
            ("process_image", png_upload, "25 MP RGBA"),
        )
        for label, path, what in uploads:
            before, after, traced = memory(path)
            size_mb = path.stat().st_size / 2**20
            lines.append(
                f"| {label} | {size_mb:.1f} MB {path.suffix[1:].upper()}, {what} | "
                f"{before / 1024:.0f} → "
                f"{after / 1024:.0f} MiB | {(after - before) / 1024:.0f} MiB | "
                f"{traced / 1024:.1f} MiB |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        "tracemalloc sees only Python allocations (the input and output bytes); Pillow's and",
        "libjpeg's pixel buffers show up in ru_maxrss only.",
        "",
    ]

    hits, times = 0, []
    for image, truth in synthetic_pages(args.pages):
        start = time.perf_counter()
        found = find_outline(image)
        times.append((time.perf_counter() - start) * 1000)
        hits += hit(found, truth, image.size)
    lines.append(
        f"Auto-crop on synthetic_pages({args.pages}): {hits}/{args.pages} hits (all corners "
        f"within 3 % of the diagonal); find_outline median {statistics.median(times):.1f} ms, "
        f"p95 {np.percentile(times, 95):.1f} ms (frames 1200–2048 px on the long side)."
    )
    lines.append(f"Load average at the end: {os.getloadavg()[0]:.2f}.")
    print("\n".join(lines[-2:]))
    report = "\n".join(lines) + "\n"
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "pipeline.md").write_text(report)
    print("\n" + report)


if __name__ == "__main__":
    main()
