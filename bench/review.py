"""Load time of the review application's document page, on samples/ data.

    .venv/bin/python bench/review.py [--repeat 50] [--screenshots docs/screenshots]

Seeds a temporary data dir with the real pipeline on born-digital samples (the sample dossiers
imported), serves the application with uvicorn, logs in and prints, for each document page:

- server: time to the full HTML over HTTP (median and 95th percentile of ``--repeat`` loads);
- browser: in headless Chromium (Debian's, /usr/bin/chromium), navigation start to the
  ``load`` event, page images included (median of 5, warm cache off).

The issue's target is under 300 ms. ``--screenshots DIR`` also writes ``queue.png`` and
``document.png`` there (the README shows them).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from mailroom.settings import Settings, StorageSettings  # noqa: E402
from review.app import build_app  # noqa: E402
from review.sample_data import SAMPLE_FILES, running_server, seed  # noqa: E402
from review.settings import ReviewSettings  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)

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
        app = build_app(settings, ReviewSettings(session_secret="bench-" * 8))  # type: ignore[arg-type]
        visible = {
            d.source.filename or d.document_id: d.document_id
            for d in docs
            if d.doc_type is None or d.doc_type.value != "medical_certificate"
        }
        with running_server(app) as url:
            with httpx.Client(base_url=url, follow_redirects=False) as client:
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
                t = time.perf_counter()
                client.get("/")
                print(f"  queue page: {(time.perf_counter() - t) * 1000:.1f} ms")
            if not args.no_browser and CHROMIUM.exists():
                print("document page in headless Chromium (navigation start → load, images in):")
                browser_timings(url, visible, args.screenshots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
