"""The dossier stage end to end on the committed samples' truth (fields and texts, no OCR):
import into SQLite, match, check, file in the GED, ask for what is missing, twice."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from storage.sql import SqlDossierRegistry, sqlite_url
from validate.checks import run_checks
from validate.completeness import Outbox, run_completeness
from validate.dossiers import load_dossiers
from validate.evaluate_matching import cases_from_expected
from validate.ged import make_ged_entry
from validate.matching import match_document
from validate.settings import DossierSettings, RequestSettings

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _overbilled() -> set[str]:
    names = set()
    for path in (SAMPLES / "expected").glob("*.json"):
        if "overbilled" in json.loads(path.read_text(encoding="utf-8")).get("hard_cases", []):
            names.add(path.stem)
    return names


def test_samples_batch_files_checks_and_requests(tmp_path: Path) -> None:
    registry = SqlDossierRegistry(sqlite_url(tmp_path / "mailroom.sqlite3"))
    dossiers, errors = load_dossiers(SAMPLES / "dossiers.json")
    assert errors == []
    assert {registry.upsert(d) for d in dossiers} == {"created"}
    assert {registry.upsert(d) for d in dossiers} == {"unchanged"}
    settings = DossierSettings()
    by_id = {d.dossier_id: d for d in registry.all()}
    overbilled = _overbilled()
    assert overbilled, "the samples should hold an overbilled provider invoice"

    blocked: dict[str, list[str]] = {}
    filed = 0
    cases = cases_from_expected(SAMPLES / "expected")
    for doc, truth in cases:
        doc.match = match_document(doc, list(by_id.values()), settings)
        assert doc.match.status != "matched" or doc.match.dossier_id == truth
        dossier = by_id.get(doc.match.dossier_id or truth or "")
        checks = run_checks(
            doc, dossier, registry=registry, settings=settings, today=date(2026, 11, 24)
        )
        codes = [c.code for c in checks if c.blocking]
        if codes:
            blocked[doc.source.path or ""] = codes
        if doc.match.status == "matched" and not codes:
            registry.add_ged_entry(
                make_ged_entry(
                    doc, doc.match.dossier_id or "", searchable_pdf_key=None, filed_at=NOW
                )
            )
            filed += 1
    # Every expected check fires, and no other blocking check does.
    assert {name: codes for name, codes in blocked.items()} == {
        name: ["mission.amount_over_agreed"] for name in overbilled
    }
    assert filed == len(registry.ged_entries())

    # Completeness: exactly the open dossiers missing pieces, exactly those pieces.
    received: dict[str, set[str]] = defaultdict(set)
    for entry in registry.ged_entries():
        received[entry.dossier_id].add(str(entry.doc_type))
    expected = {
        d.dossier_id: tuple(
            t for t in map(str, d.required_documents) if t not in received[d.dossier_id]
        )
        for d in by_id.values()
        if d.status == "open"
    }
    expected = {k: v for k, v in expected.items() if v}
    outbox = Outbox(tmp_path / "outbox", sender=RequestSettings().sender)
    actions = run_completeness(registry, outbox, now=NOW, settings=RequestSettings())
    assert {a.request.dossier_id: a.request.missing for a in actions} == expected
    assert all(a.action == "send" for a in actions)
    closed = [d.dossier_id for d in by_id.values() if d.status == "closed"]
    assert not set(closed) & {a.request.dossier_id for a in actions}
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    # Re-running the batch sends nothing new.
    assert run_completeness(registry, outbox, now=NOW, settings=RequestSettings()) == []
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == files
    registry.close()
