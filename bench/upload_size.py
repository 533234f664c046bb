"""Uploaded bytes per page after the phone's compression, measured through the real page.

    .venv/bin/python bench/upload_size.py [photos]

Makes N (default 12) synthetic 12 MP phone photos of documents (4000×3000, q92, with GPS EXIF,
on five kinds of desks), feeds each to /documents/new through headless Chromium
(`set_input_files` on the camera input, so static/js/capture.js redraws it at 2048 px, JPEG
0.8) and records the multipart body size of each upload (one page each) and the size of the
stored page. Prints median, p90 and max; the DESIGN budget is ≤ 450 KB median.
"""

import io
import re
import statistics
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from flask import request
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, serve, sign_in  # noqa: E402
from tests.conftest import create_active_user  # noqa: E402
from tests.fixtures.make_fixtures import BACKGROUNDS, camera_exif, page_photo  # noqa: E402
from webapp.db import connect  # noqa: E402


def photo(index: int) -> bytes:
    """A 4000×3000 phone photo of a page, like tests/fixtures' photo_12mp but varied."""
    rng = np.random.default_rng(100 + index)
    frame = (2000, 1500) if index % 3 else (1500, 2000)
    image, _ = page_photo(rng, frame, BACKGROUNDS[index % len(BACKGROUNDS)], noise=3)
    big = image.resize((frame[0] * 2, frame[1] * 2), Image.Resampling.BILINEAR)
    grain = np.empty((big.height, big.width, 1), np.int16)
    cv2.setRNGSeed(index)
    cv2.randn(grain, 0, 4)
    pixels = np.clip(np.asarray(big, np.int16) + grain, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=92, exif=camera_exif(1))
    return out.getvalue()


def main(count: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as server:
        photos = []
        for index in range(count):
            path = Path(tmp) / f"photo-{index}.jpg"
            path.write_bytes(photo(index))
            photos.append(path)
        create_active_user(server.app, phone="+79125550199")
        sent: list[int] = []

        @server.app.before_request
        def measure():
            if request.path == "/documents/upload":
                sent.append(request.content_length or 0)

        with sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
            )
            page = browser.new_context(viewport={"width": 360, "height": 780}).new_page()
            sign_in(page, server.url, "+79125550199")
            for path in photos:
                page.goto(server.url + "/documents/new?doc_type=diploma")
                page.set_input_files("#camera", [str(path)])
                expect(page.locator(".capture-page")).to_have_count(1)
                page.get_by_role("button", name="Сохранить документ").click()
                page.wait_for_url(re.compile(r"/documents/\d+$"))
            browser.close()
        db = connect(server.app.config["DATABASE"])
        stored = [row["size"] for row in db.query("select size from document_versions")]
        db.close()
    kb = [s / 1024 for s in sent]
    print(f"{count} photos of 4000×3000 (q92, ~{len(photo(0)) / 1024 / 1024:.1f} MB each)")
    print(
        f"uploaded per page: median {statistics.median(kb):.0f} KB, "
        f"p90 {sorted(kb)[int(0.9 * (len(kb) - 1))]:.0f} KB, max {max(kb):.0f} KB"
    )
    stored_kb = [s / 1024 for s in stored]
    print(f"stored PDF per page: median {statistics.median(stored_kb):.0f} KB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
