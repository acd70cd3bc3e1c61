"""Load time of the review application's queue and document pages, on samples/ data.

    .venv/bin/python bench/review.py [--repeat 50] [--queue 1000] [--screenshots docs/screenshots]
    .venv/bin/python bench/review.py --page-images

Seeds a temporary data dir with the real pipeline on born-digital samples (the sample dossiers
imported), serves the application with uvicorn, logs in and prints, for each document page:

- server: time to the full HTML over HTTP (median and 95th percentile of ``--repeat`` loads);
- browser: in headless Chromium (Debian's, /usr/bin/chromium), navigation start to the
  ``load`` event, page images included (median of 5, warm cache off).

``--queue N`` then fills the queue up to N documents in review (copies of the samples in
review under new ids, as a morning's mail would) and prints the queue page (first page, a
sorted page, a full-text search) and a document page over HTTP and in Chromium with that many.

The issue's target is under 300 ms. ``--screenshots DIR`` also writes ``queue.png`` and
``document.png`` there (the README shows them). ``--page-images`` only prints, for each image
sample, its page stored as PNG and made for the screen as WebP and as JPEG (size, time).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from mailroom.models import Document, Status, document_id_for  # noqa: E402
from mailroom.settings import Settings
from review.app import build_app  # noqa: E402
from review.sample_data import SAMPLE_FILES, running_server, seed  # noqa: E402
from review.settings import ReviewSettings  # noqa: E402
from storage.settings import StorageSettings  # noqa: E402

SAMPLES = REPO / "samples"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER = ("bench", "bench-password", "gestionnaire")
MEDICAL_USER = ("bench-med", "bench-password", "medical")


def http_login(client: httpx.Client, username: str, password: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no log-in form")
    r = client.post(
        "/login", data={"username": username, "password": password, "login_token": token[1]}
    )
    if r.status_code != 303:
        raise SystemExit(f"log-in failed: {r.status_code}")


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def browser_timings(url: str, doc_ids: dict[str, str], shots: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", viewport={"width": 1440, "height": 960})
        page = context.new_page()
        page.goto(f"{url}/login")
        page.fill("input[name=username]", USER[0])
        page.fill("input[name=password]", USER[1])
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "queue.png"), full_page=True)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        for name, doc_id in doc_ids.items():
            loads = []
            for _ in range(5):
                page.goto(f"{url}/documents/{doc_id}", wait_until="load")
                loads.append(
                    page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return n.loadEventEnd - n.startTime; }"
                    )
                    / 1000.0
                )
            print(f"  browser  {name:58s} {ms(loads)}")
        if shots is not None:
            first = next(iter(doc_ids.values()))
            page.goto(f"{url}/documents/{first}", wait_until="load")
            page.locator("tr.field").first.locator("th").click()
            page.screenshot(path=str(shots / "document.png"), full_page=False)
            print(f"screenshots written to {shots}")
        browser.close()


def fill_queue(settings: Settings, docs: list[Document], size: int) -> int:
    """Copies of the documents in review under new ids until the queue holds ``size``."""
    from storage import build_metadata_store

    models = [d for d in docs if d.status is Status.NEEDS_REVIEW]
    metadata = build_metadata_store(settings.storage)
    added = 0
    try:
        for i in range(max(0, size - len(models))):
            model = models[i % len(models)]
            sha = hashlib.sha256(f"{model.sha256}-{i}".encode()).hexdigest()
            copy = model.model_copy(
                update={
                    "sha256": sha,
                    "document_id": document_id_for(sha),
                    "received_at": model.received_at + timedelta(seconds=i + 1),
                },
                deep=True,
            )
            metadata.save(copy)
            added += 1
    finally:
        metadata.close()
    return added


def server_ms(client: httpx.Client, path: str, repeat: int) -> str:
    client.get(path)  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(f"{path}: HTTP {r.status_code}")
    return ms(times)


def browser_queue(url: str, paths: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", viewport={"width": 1440, "height": 960})
        page = context.new_page()
        page.goto(f"{url}/login")
        page.fill("input[name=username]", USER[0])
        page.fill("input[name=password]", USER[1])
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        for name, path in paths.items():
            loads = []
            for _ in range(5):
                page.goto(f"{url}{path}", wait_until="load")
                loads.append(
                    page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return n.loadEventEnd - n.startTime; }"
                    )
                    / 1000.0
                )
            print(f"  browser  {name:58s} {ms(loads)}")
        browser.close()


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def page_image_sizes(files: list[Path]) -> None:
    """Each image stored as the pipeline keeps a page (PNG), then made for the screen as WebP
    and as JPEG: sizes and the time to make each (once per page and format, then kept)."""
    import io

    from PIL import Image

    from review.page_images import screen_image

    print(f"{'page image':52s} {'PNG':>8s} {'WebP':>8s} {'ms':>5s} {'JPEG':>8s} {'ms':>5s}")
    for path in files:
        with Image.open(path) as image:
            buf = io.BytesIO()
            image.convert("RGB" if image.mode not in ("L", "1") else "L").save(buf, format="PNG")
        png = buf.getvalue()
        row = f"{path.name:52s} {len(png) / 1000:6.0f}KB"
        for image_format in ("WEBP", "JPEG"):
            t = time.perf_counter()
            data = screen_image(png, image_format=image_format)  # type: ignore[arg-type]
            row += f" {len(data) / 1000:6.0f}KB {(time.perf_counter() - t) * 1000:5.0f}"
        print(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--queue", type=int, default=0, help="fill the queue to this many documents first"
    )
    parser.add_argument(
        "--page-images",
        action="store_true",
        help="only measure the page images for the screen on the image samples",
    )
    args = parser.parse_args(argv)
    if args.page_images:
        page_image_sizes(
            sorted(p for p in (SAMPLES / "documents").iterdir() if p.suffix in IMAGE_SUFFIXES)
        )
        return 0

    with tempfile.TemporaryDirectory(prefix="mailroom-bench-review-") as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        docs = seed(
            data_dir,
            [SAMPLES / "documents" / name for name in SAMPLE_FILES],
            dossiers=SAMPLES / "dossiers.json",
            users=[USER, MEDICAL_USER],  # type: ignore[list-item]
        )
        print(f"seeded {len(docs)} documents in {time.perf_counter() - started:.1f} s")
        settings = Settings(storage=StorageSettings(data_dir=data_dir))
        if args.queue:
            added = fill_queue(settings, docs, args.queue)
            print(f"queue filled with {added} copies: {args.queue} documents in review")
        app = build_app(settings, ReviewSettings(session_secret="bench-" * 8))  # type: ignore[arg-type]
        visible = {
            d.source.filename or d.document_id: d.document_id
            for d in docs
            if d.doc_type is None or d.doc_type.value != "medical_certificate"
        }
        with running_server(app) as url:
            with httpx.Client(base_url=url, follow_redirects=False, timeout=120) as client:
                http_login(client, USER[0], USER[1])
                print(f"document page, {args.repeat} loads each over HTTP:")
                for name, doc_id in visible.items():
                    client.get(f"/documents/{doc_id}")  # warm-up
                    times = []
                    for _ in range(args.repeat):
                        t = time.perf_counter()
                        r = client.get(f"/documents/{doc_id}")
                        times.append(time.perf_counter() - t)
                        if r.status_code != 200:
                            raise SystemExit(f"{doc_id}: HTTP {r.status_code}")
                    print(f"  server   {name:58s} {ms(times)}")
                print("page images, PNG as stored vs as sent to the screen (WebP, JPEG):")
                for name, doc_id in visible.items():
                    png = client.get(f"/documents/{doc_id}/pages/1.png")
                    sent = [
                        client.get(f"/documents/{doc_id}/pages/1/screen", headers={"Accept": a})
                        for a in ("image/webp,image/*", "image/jpeg,image/*")
                    ]
                    if png.status_code == 200 and all(r.status_code == 200 for r in sent):
                        shown = " / ".join(
                            f"{len(r.content) / 1000:5.0f} KB "
                            f"{r.headers['content-type'].split('/')[-1].upper()}"
                            for r in sent
                        )
                        print(f"  {name:58s} {len(png.content) / 1000:7.0f} KB PNG -> {shown}")
                queue_paths = {
                    "queue, first page": "/",
                    "queue, sorted by amount, page 2": "/?sort=-amount&page=2",
                    "queue, full-text search": "/?text=facture",
                }
                print(f"queue page, {args.repeat} loads each over HTTP:")
                for name, path in queue_paths.items():
                    print(f"  server   {name:58s} {server_ms(client, path, args.repeat)}")
            if not args.no_browser and CHROMIUM.exists():
                print("document page in headless Chromium (navigation start → load, images in):")
                browser_timings(url, visible, args.screenshots)
                print("queue page in headless Chromium (navigation start → load):")
                browser_queue(url, queue_paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
