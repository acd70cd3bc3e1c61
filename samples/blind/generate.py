"""Generates the blind French corpus: documents, their ground truth and the dossiers.

    python -m samples.blind.generate OUT_DIR [--seed 7] [--count 60]

writes ``OUT_DIR/documents/…``, ``OUT_DIR/expected/<name>.json`` (the format of
``samples/expected/``) and ``OUT_DIR/dossiers.json`` (the contract's dossier import format).
The same seed and count give the same bytes. The truth of every field is the value that was
drawn on the page, never a reading of it. Written without reading the extractor: see README.md.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from samples.blind import forms, layouts, letters
from samples.blind.ids import ASSISTEURS, PLATE_LETTERS, fr_amount, fr_date, money, person, plate
from samples.blind.layouts import Case, Drawn
from samples.blind.sheet import Defects, clean_defects, degraded_defects, save_images, scan

DEFAULT_SEED = 7
DEFAULT_COUNT = 60

Builder = Callable[[random.Random, Case, str], Drawn]
TYPES: list[tuple[str, Builder, list[str], int]] = [
    # doc_type, builder, its layout families, weight in a corpus of 60 files
    ("invoice", layouts.build_invoice,
     ["depanneur", "garage", "hotel", "taxi", "ambulance", "loueur"], 12),
    ("receipt", forms.build_receipt, ["pharmacie", "caisse", "tpe", "station"], 10),
    ("medical_certificate", forms.build_certificate, ["libre", "arret_cerfa", "urgences"], 10),
    ("bank_details", forms.build_rib, ["grille", "en_ligne", "guichet", "neo"], 9),
    ("claim_letter", letters.build_claim, ["dactylo", "manuscrite", "formulaire"], 8),
    ("other", letters.build_other,
     ["devis", "prospectus", "lettre_info", "constat", "relance", "courrier"], 9),
]
EMAIL_WEIGHT = 2
# families that exist only on paper: a scan, never a born-digital PDF
PAPER_ONLY = {"manuscrite", "formulaire", "constat", "pharmacie", "caisse", "tpe", "station"}
EVENT_TYPES = ["vehicle_breakdown", "vehicle_breakdown", "accident", "accident", "medical",
               "travel"]


def plan(count: int) -> list[tuple[str, int]]:
    """How many files of each kind: proportional to the weights, at least one of each."""
    weights = [(t, w) for t, _, _, w in TYPES] + [("email", EMAIL_WEIGHT)]
    total = sum(w for _, w in weights)
    out = [(t, max(1, round(count * w / total))) for t, w in weights]
    while sum(n for _, n in out) > max(count, len(out)):
        i = max(range(len(out)), key=lambda k: out[k][1])
        out[i] = (out[i][0], out[i][1] - 1)
    return out


def make_cases(rng: random.Random, n: int, assisteur: str) -> list[Case]:
    cases = []
    for i in range(n):
        event = date(2026, 1, 5) + timedelta(days=rng.randint(0, 320))
        policy = rng.choice([f"CTR{rng.randint(10**7, 10**8 - 1)}",
                             f"POL-{rng.randint(10**6, 10**7 - 1)}",
                             f"MRA{rng.randint(2019, 2025)}{rng.randint(10**5, 10**6 - 1)}"])
        cases.append(Case(
            dossier_id=f"AST-2026-{rng.randint(1000, 999999):06d}",
            policy_number=policy,
            person=person(rng, event),
            plate=plate(rng),
            event_date=event,
            event_type=rng.choice(EVENT_TYPES),
            assisteur=assisteur,
        ))
        del i
    return cases


@dataclass
class Output:
    name: str
    drawn: Drawn
    rendering: str
    path: Path
    defects: Defects | None


def _render(
    rng: random.Random, drawn: Drawn, rendering: str, fmt: str, path: Path, assisteur: str
) -> Defects | None:
    if rendering == "born_digital":
        path.write_bytes(drawn.pdf)
        return None
    stamp = None
    if drawn.doc_type in ("invoice", "claim_letter", "medical_certificate") and \
            rng.random() < 0.4:
        day = fr_date(date(2026, 1, 5) + timedelta(days=rng.randint(0, 330)), "slash")
        stamp = rng.choice([f"REÇU LE\n{day}", f"COURRIER ARRIVÉE\n{day}\n{assisteur.upper()}",
                            f"{assisteur.upper()}\nARRIVÉ LE {day}"])
    bilevel = rendering == "degraded_scan" and fmt == ".tiff"
    defects = clean_defects(rng, stamp) if rendering == "clean_scan" else \
        degraded_defects(rng, stamp, bilevel)
    on_bed = drawn.doc_type == "receipt" and rng.random() < 0.6
    images = scan(drawn.pdf, rng, defects, on_bed=on_bed)
    save_images(images, path, defects.dpi, defects.jpeg_quality)
    return defects


def _format(rng: random.Random, rendering: str, pages: int, k: int) -> str:
    if rendering == "born_digital":
        return ".pdf"
    options = [".pdf", ".png", ".tiff", ".jpg"] if rendering == "clean_scan" else \
        [".jpg", ".pdf", ".tiff", ".png"]
    fmt = options[k % len(options)]
    if pages > 1 and fmt in (".png", ".jpg"):
        fmt = ".pdf"
    return fmt


CHANNEL = {"born_digital": "upload", "clean_scan": "scan", "degraded_scan": "scan"}


def _expected(out: Output, root: Path) -> dict[str, Any]:
    d = out.drawn
    return {
        "file": str(out.path.relative_to(root)),
        "doc_type": d.doc_type,
        "variant": d.variant,
        "rendering": out.rendering,
        "language": "fr",
        "channel": CHANNEL[out.rendering],
        "page_count": d.pages,
        "fields": dict(sorted(d.fields.items())),
        "dossier_id": d.dossier_id,
        "defects": out.defects.describe() if out.defects else [],
        "hard_cases": d.notes,
    }


def generate(target: Path, seed: int = DEFAULT_SEED, count: int = DEFAULT_COUNT) -> list[Path]:
    """Writes the corpus into ``target`` (emptied first); returns the expected files."""
    rng = random.Random(seed)
    if (target / "documents").exists():
        shutil.rmtree(target / "documents")
    if (target / "expected").exists():
        shutil.rmtree(target / "expected")
    (target / "documents").mkdir(parents=True)
    (target / "expected").mkdir(parents=True)
    assisteur = rng.choice(ASSISTEURS)
    cases = make_cases(rng, max(4, count // 3), assisteur)
    written: list[Path] = []
    invoices: list[Drawn] = []
    k = 0
    for kind, n in plan(count):
        if kind == "email":
            for i in range(n):
                written.append(_email(rng, target, rng.choice(cases), i, invoices))
            continue
        _, builder, families, _ = next(t for t in TYPES if t[0] == kind)
        for i in range(n):
            family = families[i % len(families)]
            case = rng.choice(cases)
            drawn = builder(rng, case, family)
            if drawn.doc_type == "invoice":
                invoices.append(drawn)
            renderings = ["born_digital", "clean_scan", "degraded_scan"]
            # families and renderings must not cycle in step: every family gets every rendering
            rendering = renderings[(i + i // len(families) + k) % 3]
            if family in PAPER_ONLY and rendering == "born_digital":
                rendering = rng.choice(["clean_scan", "degraded_scan"])
            fmt = _format(rng, rendering, drawn.pages, i + k)
            name = f"{kind}-{i:02d}-{drawn.variant}-{rendering}"
            path = target / "documents" / f"{name}{fmt}"
            defects = _render(rng, drawn, rendering, fmt, path, assisteur)
            out = Output(name, drawn, rendering, path, defects)
            exp = target / "expected" / f"{name}.json"
            exp.write_text(json.dumps(_expected(out, target), indent=2, ensure_ascii=False) + "\n")
            written.append(exp)
        k += 1
    dossiers = _dossiers(rng, cases, invoices)
    (target / "dossiers.json").write_text(json.dumps(dossiers, indent=2, ensure_ascii=False) + "\n")
    return written


# -- e-mails --------------------------------------------------------------------------------


def _email(
    rng: random.Random, root: Path, case: Case, i: int, invoices: list[Drawn]
) -> Path:
    """A beneficiary's e-mail: a claim in its body, an invoice, a receipt and a RIB attached."""
    p = case.person
    amount = money(rng.uniform(60, 600))
    signed = p.name(rng.choice(["upper", "plain"]))
    body = "\n".join([
        rng.choice(["Bonjour,", "Madame, Monsieur,"]),
        "",
        f"Suite à mon appel du {fr_date(case.event_date, 'slash')} concernant mon dossier "
        f"{case.dossier_id}, je vous transmets en pièces jointes la facture du dépanneur, un "
        f"ticket de pharmacie et mon RIB.",
        "",
        f"Je vous remercie de bien vouloir me rembourser la somme de {fr_amount(amount)} € que "
        f"j'ai avancée.",
        "",
        rng.choice(["Cordialement,", "Bien cordialement,", "Avec mes remerciements,"]),
        signed,
        f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
    ])
    body_fields = {"sender_name": signed, "dossier_reference": case.dossier_id,
                   "requested_amount": str(amount)}
    msg = EmailMessage()
    msg["From"] = f"{p.first_name} {p.last_name} <{p.email}>"
    msg["To"] = "remboursements@assistance.example"
    subject = f"Demande de remboursement - dossier {case.dossier_id}"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, case.event_date.month, case.event_date.day, 10,
                                           rng.randint(0, 59), tzinfo=UTC))
    message_id = f"<blind.{i}.{rng.randint(10**6, 10**7)}@exemple-mail.fr>"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    parts: list[dict[str, Any]] = [{
        "part": "body", "content_type": "text/plain", "doc_type": "claim_letter",
        "language": "fr", "fields": body_fields, "dossier_id": case.dossier_id,
    }]
    attachments = [
        (layouts.build_invoice(rng, case, rng.choice(["depanneur", "garage"])), "born_digital",
         ".pdf", "Facture_depannage.pdf", "application", "pdf"),
        (forms.build_receipt(rng, case, "pharmacie"), "clean_scan", ".jpg", "ticket pharmacie.jpg",
         "image", "jpeg"),
        (forms.build_rib(rng, case, rng.choice(["grille", "en_ligne"])), "clean_scan", ".png",
         "RIB.png", "image", "png"),
    ]
    tmp = root / "documents" / f".email-{i}"
    tmp.mkdir()
    for drawn, rendering, fmt, filename, main, sub in attachments:
        if drawn.doc_type == "invoice":
            invoices.append(drawn)
        path = tmp / f"part{fmt}"
        _render(rng, drawn, rendering, fmt, path, case.assisteur)
        msg.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=filename)
        parts.append({
            "part": "attachment", "filename": filename, "content_type": f"{main}/{sub}",
            "doc_type": drawn.doc_type, "variant": drawn.variant, "rendering": rendering,
            "language": "fr", "fields": dict(sorted(drawn.fields.items())),
            "dossier_id": drawn.dossier_id,
        })
    shutil.rmtree(tmp)
    msg.set_boundary(f"=====blind-{i}-{rng.randint(10**8, 10**9)}=====")
    name = f"email-{i:02d}-claim"
    path = root / "documents" / f"{name}.eml"
    path.write_bytes(msg.as_bytes())
    expected: dict[str, Any] = {
        "file": str(path.relative_to(root)), "doc_type": None, "variant": "email",
        "rendering": "email", "language": "fr", "channel": "email", "subject": subject,
        "from": p.email, "message_id": message_id, "fields": {},
        "dossier_id": case.dossier_id, "parts": parts,
    }
    exp = root / "expected" / f"{name}.json"
    exp.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    return exp


# -- dossiers -------------------------------------------------------------------------------

GUARANTEES = {
    "vehicle_breakdown": [("REMORQUAGE", "Dépannage / remorquage", "200.00", "event"),
                          ("HOTEL", "Frais d'hôtel", "90.00", "night"),
                          ("VEHICULE_REMPL", "Véhicule de remplacement", "60.00", "day")],
    "accident": [("REMORQUAGE", "Dépannage / remorquage", "250.00", "event"),
                 ("TAXI", "Frais de taxi", "150.00", "event"),
                 ("FRAIS_MED", "Frais médicaux", "1500.00", "event")],
    "medical": [("FRAIS_MED", "Frais médicaux", "3000.00", "event"),
                ("TRANSPORT", "Transport sanitaire", "500.00", "event")],
    "travel": [("HOTEL", "Frais d'hôtel", "100.00", "night"),
               ("TAXI", "Frais de taxi", "120.00", "event")],
}


def _dossier(case: Case, status: str, missions: list[dict[str, str]]) -> dict[str, Any]:
    p = case.person
    return {
        "dossier_id": case.dossier_id,
        "status": status,
        "opened_on": (case.event_date + timedelta(days=1)).isoformat(),
        "event_date": case.event_date.isoformat(),
        "event_type": case.event_type,
        "policy_number": case.policy_number,
        "beneficiary": {"first_name": p.first_name, "last_name": p.last_name.upper(),
                        "email": p.email, "address": f"{p.street}, {p.postcode} {p.city}"},
        "vehicle_registration": case.plate,
        "guarantees": [{"code": c, "label": lbl, "ceiling": ceil, "per": per}
                       for c, lbl, ceil, per in GUARANTEES[case.event_type]],
        "missions": missions,
        "required_documents": ["invoice", "bank_details"] + (
            ["medical_certificate"] if case.event_type in ("medical", "accident") else []),
    }


def _dossiers(rng: random.Random, cases: list[Case], invoices: list[Drawn]) -> list[dict]:
    missions: dict[str, list[dict[str, str]]] = {c.dossier_id: [] for c in cases}
    for drawn in invoices:
        if drawn.provider is None or drawn.dossier_id is None:
            continue
        missions[drawn.dossier_id].append({
            "mission_id": f"M-{rng.randint(100000, 999999)}",
            "provider_name": drawn.provider.name,
            "provider_siret": drawn.provider.siret,
            "service": drawn.provider_service or "other",
            "agreed_amount": drawn.fields["total_incl_tax"],
        })
    out = [_dossier(c, "open", missions[c.dossier_id]) for c in cases]
    # distractors: the same family name with another first name, a plate one letter off
    for c in rng.sample(cases, max(2, len(cases) // 4)):
        other = person(rng, c.event_date)
        twin = other.__class__(**{**other.__dict__, "last_name": c.person.last_name})
        letters_ = [ch for ch in PLATE_LETTERS if ch != c.plate[0]]
        near_plate = rng.choice(letters_) + c.plate[1:]
        out.append(_dossier(Case(
            dossier_id=f"AST-2026-{rng.randint(1000, 999999):06d}",
            policy_number=f"CTR{rng.randint(10**7, 10**8 - 1)}", person=twin, plate=near_plate,
            event_date=c.event_date + timedelta(days=rng.randint(-12, 12)),
            event_type=c.event_type, assisteur=c.assisteur), "open", []))
    # one closed dossier: the same beneficiary, vehicle and contract as an open one, last year
    c = cases[0]
    out.append(_dossier(Case(
        dossier_id=f"AST-2025-{rng.randint(1000, 999999):06d}", policy_number=c.policy_number,
        person=c.person, plate=c.plate, event_date=c.event_date - timedelta(days=300),
        event_type=c.event_type, assisteur=c.assisteur), "closed", []))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("target", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    args = parser.parse_args(argv)
    files = generate(args.target, args.seed, args.count)
    print(f"{len(files)} documents written to {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
