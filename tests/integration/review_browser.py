"""What the review application's Chromium tests share: the browser's flags, logging in, an
application served from a data directory, invented invoices in review, the audit trail.

The ``browser`` and ``page`` fixtures are in ``conftest.py``. Chromium is Debian's
(/usr/bin/chromium): no browser is downloaded.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from PIL import Image, ImageDraw

from mailroom.models import (
    BBox,
    Check,
    DocType,
    Document,
    ExtractedField,
    Match,
    MatchCandidate,
    Page,
    Source,
    Status,
    Word,
)
from mailroom.settings import Settings, StorageSettings
from review.app import build_app
from review.auth import hash_password
from review.sample_data import running_server
from review.settings import ReviewSettings
from review.store import AuditEvent, ReviewStore, Role, open_review_store
from storage.base import original_key
from storage.filesystem import FilesystemObjectStore

if TYPE_CHECKING:
    from playwright.sync_api import Page as BrowserPage

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def log_in(page: BrowserPage, url: str, username: str, password: str) -> None:
    """Through the log-in form, as a person would; waits for the queue."""
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def review_store(where: Path | Settings) -> ReviewStore:
    """The review tables of a data directory's ``mailroom.sqlite3``, or of the SQL store the
    settings name (PostgreSQL too)."""
    storage = where.storage if isinstance(where, Settings) else StorageSettings(data_dir=where)
    return open_review_store(storage)


def add_users(where: Path | Settings, users: Iterable[tuple[str, str, Role]]) -> None:
    """Accounts hashed with a cheap argon2 (a test needs no slow hash), in the review tables
    of a data directory or of the settings' SQL store."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    store = review_store(where)
    try:
        for username, password, role in users:
            store.add_user(username, hash_password(password, hasher=cheap), role)
    finally:
        store.close()


@contextmanager
def served(data_dir: Path, secret: str = "s" * 40, **review: object) -> Iterator[str]:
    """A review application on ``data_dir`` served in a thread (its own log-in throttle);
    yields its base URL."""
    with served_on(Settings(storage=StorageSettings(data_dir=data_dir)), secret, **review) as url:
        yield url


@contextmanager
def served_on(settings: Settings, secret: str = "s" * 40, **review: object) -> Iterator[str]:
    """A review application on the stores ``settings`` name (PostgreSQL and S3 as well as a
    data directory) served in a thread; yields its base URL."""
    app = build_app(settings, ReviewSettings(session_secret=secret, **review))  # type: ignore[arg-type]
    with running_server(app) as url:
        yield url


def audit_of(where: Path | Settings, document_id: str) -> list[AuditEvent]:
    store = review_store(where)
    try:
        return store.audit_events(document_id=document_id)
    finally:
        store.close()


def page_png(label: str, lines: Sequence[tuple[int, str]] = ()) -> bytes:
    """A white A4 page (150 dpi) with ``label`` at the top and ``(y, text)`` lines."""
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    draw.text((100, 100), label, 0)
    for y, text in lines:
        draw.text((100, y), text, 0)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def invoice(
    objects: FilesystemObjectStore,
    n: int,
    *,
    dossier: str,
    supplier: str | None = None,
    number: str | None = None,
    total: Decimal = Decimal("120.00"),
    doubtful: Sequence[str] = (),
    checks: Sequence[Check] = (),
    score: float = 0.95,
    words: Sequence[Word] = (),
    extra: dict[str, object] | None = None,
    reason: str = "contrôle bloquant",
) -> Document:
    """An invented invoice in review, its page image stored: HT 100 + TVA 20 = ``total``
    (another total fails the totals check); the dossier chosen (``score`` at or above the
    threshold) or only proposed (below it)."""
    sha = f"{n:064x}"
    image_key = f"derived/{sha}/page-0001.png"
    objects.put_bytes(image_key, page_png(f"FACTURE F-{n}"), content_type="image/png")
    objects.put_bytes(original_key(sha), page_png("original"), content_type="image/png")
    values: dict[str, object] = {
        "supplier_name": supplier or f"Garage {n}",
        "invoice_number": number or f"F-{n}",
        "total_excl_tax": Decimal("100.00"),
        "vat_amount": Decimal("20.00"),
        "total_incl_tax": total,
        **(extra or {}),
    }
    fields = {
        name: ExtractedField(
            value=value,  # type: ignore[arg-type]
            confidence=0.5 if name in doubtful else 0.95,
            page=1,
            bbox=BBox(x0=60, y0=60, x1=300, y1=80),
        )
        for name, value in values.items()
    }
    chosen = score >= 0.8
    return Document(
        document_id=f"doc-{n:020x}",
        sha256=sha,
        source=Source(channel="scan", filename=f"facture-{n}.pdf"),
        media_type="image/png",
        original_key=original_key(sha),
        received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=n),
        page_count=1,
        pages=[
            Page(
                number=1,
                width=595,
                height=842,
                text=" ".join([f"FACTURE F-{n}", *(w.text for w in words)]),
                words=(Word(text="FACTURE", bbox=BBox(x0=50, y0=50, x1=120, y1=64)), *words),
                text_source="ocr",
                ocr_confidence=90.0,
                image_key=image_key,
            )
        ],
        doc_type=DocType.INVOICE,
        doc_type_confidence=0.97,
        fields=fields,
        match=Match(
            status="matched" if chosen else "ambiguous",
            dossier_id=dossier if chosen else None,
            score=score,
            candidates=(MatchCandidate(dossier_id=dossier, score=score),),
        ),
        checks=list(checks),
        status=Status.NEEDS_REVIEW,
        reason=reason,
    )
