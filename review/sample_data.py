"""Fill a data directory with real pipeline results, for the review app's tests, benchmark and
screenshots: imports a dossier file, runs the pipeline on a few files, adds accounts.

Born-digital PDFs need no OCR, so this takes seconds. Call it from a ``__main__``-guarded
entry point: the pipeline's reading pool starts worker processes. :func:`running_server`
serves an application in a background thread, for browser tests and the benchmark.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mailroom.models import Document
from mailroom.settings import Settings
from review.auth import hash_password
from review.store import Role, open_review_store
from storage.settings import StorageSettings

log = logging.getLogger(__name__)

SAMPLE_FILES: tuple[str, ...] = (
    "invoice-05-rental-fr-born_digital.pdf",
    "bank_details-02-letter-fr-born_digital.pdf",
    "claim_letter-01-table-fr-born_digital.pdf",
    "medical_certificate-03-constatation-fr-born_digital.pdf",
)


def seed(
    data_dir: Path,
    files: Iterable[Path],
    *,
    dossiers: Path | None,
    users: Sequence[tuple[str, str, Role]] = (),
    settings: Settings | None = None,
) -> list[Document]:
    """Run the real pipeline on ``files`` into ``data_dir``; returns the documents."""
    from mailroom.pipeline import build_pipeline

    base = settings or Settings()
    settings = base.model_copy(
        update={
            "storage": StorageSettings(data_dir=data_dir),
            "ocr": base.ocr.model_copy(update={"workers": 1}),
        }
    )
    docs: list[Document] = []
    with build_pipeline(settings) as pipeline:
        if dossiers is not None:
            pipeline.import_dossiers(dossiers)
        for found in pipeline.process_paths(list(files)):
            docs.append(found)
    store = open_review_store(settings.storage)
    try:
        for username, password, role in users:
            if store.get_user(username) is None:
                store.add_user(username, hash_password(password), role)
    finally:
        store.close()
    log.info("seeded %s with %d document(s)", data_dir, len(docs))
    return docs


@contextmanager
def running_server(app: Any, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free port; yields its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="review-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the review server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
