"""The stores on SQLite share one file (the SQL store's tables and the review application's);
opening them at once from threads must work."""

from __future__ import annotations

import threading
from pathlib import Path

from mailroom.models import Document, Source, document_id_for
from review.store import ReviewStore
from storage.sql import SqlDossierRegistry, SqlMetadataStore, sqlite_url


def test_three_stores_on_one_new_file_open_concurrently_from_many_threads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mailroom.sqlite3"
    metadata, registry, review = (
        SqlMetadataStore(sqlite_url(path)),
        SqlDossierRegistry(sqlite_url(path)),
        ReviewStore(path),
    )
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def work(i: int) -> None:
        try:
            start.wait()
            sha = f"{i:02x}" + "0" * 62
            metadata.save(Document(document_id=document_id_for(sha), sha256=sha, source=Source()))
            registry.all()
            review.users()
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in (metadata, registry, review):
        store.close()
    assert not errors, errors
    assert len(SqlMetadataStore(sqlite_url(path)).list_documents()) == 12
