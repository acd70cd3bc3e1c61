"""Generate realistic French back-office documents with their ground truth.

    python samples/generate.py --out DIR [--seed N] [--per-type N]
        [--renderings born_digital,clean_scan,degraded_scan,rotated,photo]
        [--languages fr,en,es,it] [--emails N] [--foreign N] [--lookalikes N]

writes ``DIR/documents/<name>.<ext>``, ``DIR/expected/<name>.json`` (one per document) and
``DIR/dossiers.json`` (the world's dossiers in the contract's import format). Everything is
seeded: the same arguments give the same files (born-digital PDFs byte for byte).

``--foreign N`` adds N documents from abroad of each of four kinds: invoices in English,
Spanish, Italian and German (hotel, garage, tow, clinic, car rental; one in three a short
slip), till receipts in the same languages (some titled "simplified invoice", as EU VAT rules
allow), English claim letters and English medical certificates. They are drawn with their own
random streams after everything else, so the other files are the same with or without them.

``--lookalikes N`` adds N documents of each kind that looks like an invoice and is not one
(quote, pro forma, order confirmation, payment reminder, account statement, advertising
flyer with prices; ``samples/synth/lookalike.py``), typed ``other``: the classifier's hard
negatives. Their own random streams too, after the documents from abroad.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``samples`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from samples.synth import raster  # noqa: E402
from samples.synth.common import Built, logo  # noqa: E402
from samples.synth.foreign import (  # noqa: E402
    FOREIGN_KINDS,
    FOREIGN_LANGUAGES,
    build_english_claim_letter,
    build_english_medical,
    build_foreign_invoice,
    build_till_receipt,
)
from samples.synth.invoice import build_invoice  # noqa: E402
from samples.synth.letter import build_claim_letter, claim_email_body  # noqa: E402
from samples.synth.lookalike import LOOKALIKE_VARIANTS, build_lookalike  # noqa: E402
from samples.synth.mail import Attachment, build_email  # noqa: E402
from samples.synth.medical import build_medical  # noqa: E402
from samples.synth.other import VARIANTS as OTHER_VARIANTS  # noqa: E402
from samples.synth.other import build_other  # noqa: E402
from samples.synth.page import FontFamily, Sheet, register_fonts, render_pdf  # noqa: E402
from samples.synth.receipt import VARIANTS as RECEIPT_VARIANTS  # noqa: E402
from samples.synth.receipt import build_receipt  # noqa: E402
from samples.synth.rib import build_rib  # noqa: E402
from samples.synth.world import (  # noqa: E402
    COMPANY,
    PROVIDER_KINDS,
    Dossier,
    Person,
    World,
    ascii_slug,
    build_world,
)

log = logging.getLogger(__name__)

DOC_TYPES = ["invoice", "receipt", "medical_certificate", "bank_details", "claim_letter", "other"]
RENDERINGS = ["born_digital", "clean_scan", "degraded_scan", "rotated", "photo"]
LANGUAGES = ["fr", "en", "es", "it"]
# The languages each kind of document is written in.
KIND_LANGUAGES = {"receipt": LANGUAGES}


@dataclass
class _State:
    """Counters that spread file formats over the documents of one run."""

    counters: dict[str, int] = field(default_factory=dict)

    def next(self, key: str) -> int:
        n = self.counters.get(key, 0)
        self.counters[key] = n + 1
        return n


@dataclass(frozen=True)
class Output:
    ext: str
    data: bytes
    info: dict[str, Any]


def render(built: Built, rendering: str, rng: random.Random, state: _State) -> Output:
    """The file bytes of one document in one rendering."""
    pdf = render_pdf(built.sheets, title=built.title, author=built.author)
    pages = len(built.sheets)
    if rendering == "born_digital":
        return Output("pdf", pdf, {"text_layer": True})
    if rendering == "clean_scan":
        dpi = 300
        images = [raster.clean_scan(im, rng) for im in raster.rasterize(pdf, dpi)]
        if pages > 1:
            if state.next("clean_multi") % 2 == 0:
                jpgs = [(raster.jpeg(im, 80), im.width, im.height, dpi) for im in images]
                return Output(
                    "pdf",
                    raster.image_pdf(jpgs, {0: built.sheets[0]}),
                    {"mixed": True, "text_layer_pages": [1], "dpi": dpi},
                )
            return Output(
                "tiff",
                raster.tiff([raster.bilevel(im) for im in images], dpi),
                {"dpi": dpi, "multipage": True, "bilevel": True},
            )
        fmt_ = ["pdf", "png", "tiff"][state.next("clean_single") % 3]
        if fmt_ == "png":
            return Output("png", raster.png(images[0], dpi), {"dpi": dpi})
        if fmt_ == "tiff":
            return Output("tiff", raster.tiff(images, dpi), {"dpi": dpi})
        jpgs = [(raster.jpeg(im, 80), im.width, im.height, dpi) for im in images]
        return Output("pdf", raster.image_pdf(jpgs), {"dpi": dpi})
    if rendering == "degraded_scan":
        dpi = 200
        images = [raster.degraded_scan(im, rng) for im in raster.rasterize(pdf, dpi)]
        q = rng.randint(35, 60)
        if pages == 1 and state.next("degraded") % 2 == 0:
            return Output("jpg", raster.jpeg(images[0], q, dpi), {"dpi": dpi, "jpeg_quality": q})
        jpgs = [(raster.jpeg(im, q), im.width, im.height, dpi) for im in images]
        return Output("pdf", raster.image_pdf(jpgs), {"dpi": dpi, "jpeg_quality": q})
    if rendering == "rotated":
        dpi = rng.choice([200, 300])
        angle = [90, 180, 270][state.next("rotated") % 3]
        images = [raster.clean_scan(im, rng) for im in raster.rasterize(pdf, dpi)]
        # A multi-page scan has one page fed the wrong way, or all of them.
        turned_pages = [
            i for i in range(pages) if pages == 1 or i == pages - 1 or rng.random() < 0.5
        ]
        images = [
            raster.turned(im, angle) if i in turned_pages else im for i, im in enumerate(images)
        ]
        info = {"dpi": dpi, "rotation": [angle if i in turned_pages else 0 for i in range(pages)]}
        choice = state.next("rotated_fmt") % 3 if pages == 1 else 0
        if choice == 1:
            return Output("png", raster.png(images[0], dpi), info)
        if choice == 2:
            return Output("jpg", raster.jpeg(images[0], 80, dpi), info)
        jpgs = [(raster.jpeg(im, 80), im.width, im.height, dpi) for im in images]
        return Output("pdf", raster.image_pdf(jpgs), info)
    if rendering == "photo":
        dpi = 150 if built.sheets[0].width > 400 else 220
        images = [raster.photo(im, rng) for im in raster.rasterize(pdf, dpi, grey=False)]
        q = rng.randint(70, 85)
        if pages == 1:
            orientation = [None, 6, None, 8, 3][state.next("photo") % 5]
            photo_info: dict[str, Any] = {"jpeg_quality": q}
            if orientation:
                photo_info["exif_orientation"] = orientation
            return Output(
                "jpg", raster.jpeg(images[0], q, exif_orientation=orientation), photo_info
            )
        jpgs = [(raster.jpeg(im, q), im.width, im.height, dpi) for im in images]
        return Output("pdf", raster.image_pdf(jpgs), {"jpeg_quality": q, "scanner_app": True})
    raise ValueError(f"unknown rendering {rendering!r}")


def _pick(rng: random.Random, items: Sequence[Any]) -> Any:
    return items[rng.randrange(len(items))]


def _plan_invoice(
    world: World, i: int, rng: random.Random
) -> tuple[str, Dossier | None, Any, bool, str | None]:
    kind = PROVIDER_KINDS[i % len(PROVIDER_KINDS)]
    pairs = [
        (d, m)
        for d, m in world.dossiers_with_mission(kind)
        if d.status == "open" and m.mission_id not in world.invoiced_missions
    ]
    if i == 4 or not pairs:  # the beneficiary called a garage himself: no mission
        dossier = _pick(rng, [d for d in world.dossiers if d.vehicle_registration])
        provider = _pick(rng, [p for p in world.providers if p.kind == "garage"])
        return "garage", dossier, (provider, None), False, None
    dossier, mission = _pick(rng, pairs)
    world.invoiced_missions.add(mission.mission_id)
    overbill = i == 2
    return kind, dossier, (mission.provider, mission), overbill, "overbilled" if overbill else None


def build_document(
    world: World,
    doc_type: str,
    i: int,
    rng: random.Random,
    languages: list[str],
    families: list[FontFamily],
    monos: list[FontFamily],
    two_pages: bool,
) -> Built:
    open_dossiers = [d for d in world.dossiers if d.status == "open"]
    if doc_type == "invoice":
        _, dossier, (provider, mission), overbill, _ = _plan_invoice(world, i, rng)
        return build_invoice(
            rng,
            families,
            provider,
            dossier,
            mission,
            two_pages=two_pages or rng.random() < 0.2,
            overbill=overbill,
        )
    if doc_type == "receipt":
        lang = languages[i % len(languages)]
        variant = RECEIPT_VARIANTS[i % len(RECEIPT_VARIANTS)]
        pool = [d for d in open_dossiers if lang == "fr" or d.event_type in ("travel", "medical")]
        return build_receipt(rng, monos, _pick(rng, pool or open_dossiers), lang, variant)
    if doc_type == "medical_certificate":
        pool = [d for d in open_dossiers if d.event_type in ("medical", "accident", "travel")]
        dossier = _pick(rng, pool or open_dossiers)
        return build_medical(rng, families, dossier, dossier.beneficiary)
    if doc_type == "bank_details":
        dossier = world.dossiers[1] if i == 0 else _pick(rng, open_dossiers)  # MARTINS
        built = build_rib(rng, families, dossier.beneficiary, dossier)
        if dossier.hard_case == "lookalike_name":
            built.notes.append("lookalike_name")
        return built
    if doc_type == "claim_letter":
        if i == 2:  # unknown sender: matches no dossier
            built = build_claim_letter(rng, families, world.outsiders[0], None, "travel")
            built.notes.append("unknown_sender")
            return built
        special = {
            0: world.dossiers[0],  # MARTIN, look-alike of MARTINS
            1: next(d for d in world.dossiers if d.status == "closed"),
            3: next(d for d in world.dossiers if d.hard_case == "same_policy"),
        }
        dossier = special.get(i) or _pick(rng, open_dossiers)
        built = build_claim_letter(rng, families, dossier.beneficiary, dossier)
        if dossier.hard_case:
            built.notes.append(dossier.hard_case)
        return built
    if doc_type == "other":
        variant = OTHER_VARIANTS[i % len(OTHER_VARIANTS)]
        dossier = (
            _pick(rng, [d for d in open_dossiers if d.event_type == "accident"] or open_dossiers)
            if variant == "constat"
            else None
        )
        person = dossier.beneficiary if dossier else _pick(rng, world.people)
        provider = _pick(rng, [p for p in world.providers if p.kind == "garage"])
        return build_other(rng, families, variant, person, provider, dossier)
    raise ValueError(doc_type)


def _expected(
    name: str, ext: str, built: Built, rendering: str, info: dict[str, Any], channel: str = "scan"
) -> dict[str, Any]:
    return {
        "file": f"documents/{name}.{ext}",
        "doc_type": built.doc_type,
        "variant": built.variant,
        "rendering": rendering,
        "language": built.language,
        "channel": channel,
        "page_count": len(built.sheets),
        "fields": dict(sorted(built.fields.items())),
        "pages": [{"text": t} for t in built.pages_text()],
        "dossier_id": built.dossier_id,
        "hard_cases": built.notes,
        "rendering_info": info,
    }


def _inline_logo(rng: random.Random, families: list[FontFamily]) -> bytes:
    sheet = Sheet(60, 30, families[0])
    logo(sheet, 2, 2, 26, rng, (0.1, 0.3, 0.6))
    img = raster.rasterize(render_pdf([sheet]), 96, grey=False)[0]
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _part_entry(built: Built, filename: str, content_type: str, rendering: str) -> dict[str, Any]:
    return {
        "part": "attachment",
        "filename": filename,
        "content_type": content_type,
        "doc_type": built.doc_type,
        "rendering": rendering,
        "language": built.language,
        "fields": dict(sorted(built.fields.items())),
        "pages": [{"text": t} for t in built.pages_text()],
        "dossier_id": built.dossier_id,
    }


def build_emails(
    world: World,
    seed: int,
    count: int,
    families: list[FontFamily],
    monos: list[FontFamily],
    state: _State,
) -> list[tuple[str, bytes, dict[str, Any]]]:
    """``count`` claim emails with a PDF invoice, a photographed receipt and a scanned RIB."""
    out = []
    for k in range(count):
        rng = random.Random(f"{seed}:email:{k}")
        unknown = k == 2
        if unknown:
            person: Person = world.outsiders[1]
            dossier: Dossier | None = None
        else:
            pairs = [(d, m) for d in world.dossiers if d.status == "open" for m in d.missions]
            dossier, mission = _pick(rng, pairs)
            person = dossier.beneficiary
        names = [
            ["Facture_dépannage.pdf", "ticket_péage.jpg", "Relevé_identité_bancaire.png"],
            ["../../factures/facture hôtel.pdf", "reçu pharmacie.jpg", "relevé d'identité.png"],
            ["Facture réparation n°2.pdf", "Photo ticket.jpg", "RIB_compte_joint_signé.png"],
        ][k % 3]
        parts: list[dict[str, Any]] = []
        attachments: list[Attachment] = []
        total = Decimal(0)
        # 1. A provider's invoice paid by the beneficiary (born-digital PDF).
        if dossier is not None:
            provider = mission.provider
        else:
            provider = _pick(rng, [p for p in world.providers if p.kind == "garage"])
        inv = build_invoice(
            rng, families, provider, dossier, None, two_pages=False, customer_person=person
        )
        inv_out = render(inv, "born_digital", rng, state)
        attachments.append(
            Attachment(names[0], "application", "pdf", inv_out.data, rfc2047_name=k == 1)
        )
        parts.append(_part_entry(inv, names[0], "application/pdf", "born_digital"))
        total += Decimal(inv.fields["total_incl_tax"])
        # 2. A receipt photographed with a phone.
        rec = build_receipt(rng, monos, dossier, "fr", RECEIPT_VARIANTS[(k + 1) % 5])
        rec.dossier_id = dossier.dossier_id if dossier else None
        rec_out = render(rec, "photo", rng, state)
        attachments.append(Attachment(names[1], "image", "jpeg", rec_out.data))
        parts.append(_part_entry(rec, names[1], "image/jpeg", "photo"))
        total += Decimal(rec.fields["total_incl_tax"])
        # 3. The RIB, scanned to PNG.
        rib = build_rib(rng, families, person, dossier)
        img = raster.clean_scan(raster.rasterize(render_pdf(rib.sheets), 200)[0], rng)
        attachments.append(
            Attachment(names[2], "image", "png", raster.png(img, 200), rfc2047_name=k != 1)
        )
        parts.append(_part_entry(rib, names[2], "image/png", "clean_scan"))
        body, body_fields = claim_email_body(
            rng, person, dossier, total, ["la facture", "le ticket", "mon RIB"]
        )
        subject = rng.choice(
            [
                "Demande de remboursement – frais avancés",
                "Remboursement frais dépannage / hôtel",
                "Envoi des justificatifs – prise en charge",
            ]
        )
        if dossier is not None:
            subject += f" – dossier {dossier.dossier_id}"
        sent = datetime(2026, 3, 1, 8, 0, tzinfo=UTC) + timedelta(
            days=rng.randint(0, 200), minutes=rng.randint(0, 600)
        )
        if dossier is not None:
            sent = datetime.combine(
                dossier.event_date, datetime.min.time(), tzinfo=UTC
            ) + timedelta(days=rng.randint(3, 20), hours=rng.randint(7, 21))
        message_id = f"<{seed}.{k}.{ascii_slug(person.last_name)}@mail.example.fr>"
        raw = build_email(
            sender=(person.full_name, person.email),
            to=COMPANY["email"],
            subject=subject,
            body=body,
            sent=sent,
            message_id=message_id,
            attachments=attachments,
            inline_png=_inline_logo(rng, families),
            boundary_seed=f"{seed}_{k}",
        )
        body_entry = {
            "part": "body",
            "content_type": "text/plain",
            "doc_type": "claim_letter",
            "language": "fr",
            "fields": dict(sorted(body_fields.items())),
            "pages": [{"text": body}],
            "dossier_id": dossier.dossier_id if dossier else None,
        }
        inline: dict[str, Any] = {
            "part": "inline",
            "filename": "logo-signature.png",
            "content_type": "image/png",
            "reason": "a signature logo is not a document: the e-mail reader skips tiny inline images",
        }
        name = f"email-{k:02d}-claim"
        expected: dict[str, Any] = {
            "file": f"documents/{name}.eml",
            "doc_type": None,
            "rendering": "email",
            "language": "fr",
            "channel": "email",
            "subject": subject,
            "from": person.email,
            "message_id": message_id,
            "fields": {},
            "dossier_id": dossier.dossier_id if dossier else None,
            "hard_cases": ["unknown_sender"] if unknown else [],
            "parts": [body_entry, *parts],
            "skipped_parts": [inline],
        }
        out.append((name, raw, expected))
    return out


def build_foreign(
    world: World,
    doc_type: str,
    i: int,
    rng: random.Random,
    families: list[FontFamily],
    monos: list[FontFamily],
) -> Built:
    """The ``i``-th document from abroad of ``doc_type`` (see ``--foreign``)."""
    if doc_type == "receipt":
        return build_till_receipt(rng, monos, FOREIGN_LANGUAGES[i % len(FOREIGN_LANGUAGES)])
    open_dossiers = [d for d in world.dossiers if d.status == "open"]
    travel = [d for d in open_dossiers if d.event_type in ("travel", "medical", "accident")]
    if doc_type == "invoice":
        lang = FOREIGN_LANGUAGES[i % len(FOREIGN_LANGUAGES)]
        kind = FOREIGN_KINDS[i % len(FOREIGN_KINDS)]
        pool = (
            [d for d in open_dossiers if d.vehicle_registration]
            if kind in ("garage", "tow", "rental")
            else travel
        )
        dossier = _pick(rng, pool or open_dossiers)
        return build_foreign_invoice(
            rng, families, lang, kind, dossier.beneficiary, dossier, short=i % 3 == 0
        )
    dossier = _pick(rng, travel or open_dossiers)
    if doc_type == "claim_letter":
        return build_english_claim_letter(rng, families, dossier.beneficiary, dossier)
    if doc_type == "medical_certificate":
        return build_english_medical(rng, families, dossier.beneficiary, dossier)
    raise ValueError(doc_type)


FOREIGN_DOC_TYPES = ["invoice", "receipt", "claim_letter", "medical_certificate"]


def generate(
    out: Path,
    seed: int = 2026,
    per_type: int = 8,
    renderings: Sequence[str] = tuple(RENDERINGS),
    languages: Sequence[str] = tuple(LANGUAGES),
    *,
    emails: int = 3,
    doc_types: Sequence[str] = tuple(DOC_TYPES),
    foreign: int = 0,
    lookalikes: int = 0,
) -> list[Path]:
    """Write documents, expected results and ``dossiers.json`` under ``out``; returns the
    document paths. The same arguments always give the same files."""
    bad = [r for r in renderings if r not in RENDERINGS]
    if bad or not renderings:
        raise ValueError(f"unknown renderings {bad}; choose among {RENDERINGS}")
    langs = [lang for lang in languages if lang in LANGUAGES]
    if not langs:
        raise ValueError(f"no known language in {list(languages)}; choose among {LANGUAGES}")
    families, monos = register_fonts()
    world = build_world(seed)
    docs_dir, exp_dir = out / "documents", out / "expected"
    for d in (docs_dir, exp_dir):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            if old.is_file():
                old.unlink()
    state = _State()
    written: list[Path] = []
    for k, doc_type in enumerate(doc_types):
        kind_langs = [lang for lang in KIND_LANGUAGES.get(doc_type, ["fr"]) if lang in langs]
        if not kind_langs:
            log.warning("no %s in languages %s: skipped", doc_type, langs)
            continue
        for i in range(per_type):
            rng = random.Random(f"{seed}:{doc_type}:{i}")
            rendering = renderings[(i + k) % len(renderings)]
            two_pages = (
                doc_type == "invoice"
                and rendering == "clean_scan"
                and state.next("two_page_invoices") < 2
            )
            built = build_document(world, doc_type, i, rng, kind_langs, families, monos, two_pages)
            output = render(built, rendering, rng, state)
            name = f"{doc_type}-{i:02d}-{built.variant}-{built.language}-{rendering}"
            path = docs_dir / f"{name}.{output.ext}"
            path.write_bytes(output.data)
            expected = _expected(name, output.ext, built, rendering, output.info)
            (exp_dir / f"{name}.json").write_text(
                json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            written.append(path)
    if "fr" in langs:
        for name, raw, expected in build_emails(world, seed, emails, families, monos, state):
            path = docs_dir / f"{name}.eml"
            path.write_bytes(raw)
            (exp_dir / f"{name}.json").write_text(
                json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            written.append(path)
    # Documents from abroad come last, with their own random streams: the rest is unchanged.
    for doc_type in [t for t in FOREIGN_DOC_TYPES if t in doc_types]:
        for i in range(foreign):
            rng = random.Random(f"{seed}:foreign:{doc_type}:{i}")
            rendering = renderings[i % len(renderings)]
            built = build_foreign(world, doc_type, i, rng, families, monos)
            output = render(built, rendering, rng, state)
            name = f"{doc_type}-x{i:02d}-{built.variant}-{built.language}-{rendering}"
            path = docs_dir / f"{name}.{output.ext}"
            path.write_bytes(output.data)
            expected = _expected(name, output.ext, built, rendering, output.info)
            (exp_dir / f"{name}.json").write_text(
                json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            written.append(path)
    # Look-alikes of invoices (typed other) last, with their own random streams.
    if "other" in doc_types:
        for variant in LOOKALIKE_VARIANTS:
            for i in range(lookalikes):
                rng = random.Random(f"{seed}:lookalike:{variant}:{i}")
                rendering = renderings[i % len(renderings)]
                person = _pick(rng, world.people)
                provider = _pick(rng, world.providers)
                built = build_lookalike(rng, families, variant, person, provider)
                output = render(built, rendering, rng, state)
                name = f"other-l{i:02d}-{built.variant}-{built.language}-{rendering}"
                path = docs_dir / f"{name}.{output.ext}"
                path.write_bytes(output.data)
                expected = _expected(name, output.ext, built, rendering, output.info)
                (exp_dir / f"{name}.json").write_text(
                    json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
                )
                written.append(path)
    (out / "dossiers.json").write_text(
        json.dumps(world.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    log.info("wrote %d documents to %s", len(written), out)
    return written


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--per-type", type=int, default=8)
    parser.add_argument("--renderings", type=_csv, default=list(RENDERINGS))
    parser.add_argument("--languages", type=_csv, default=list(LANGUAGES))
    parser.add_argument("--emails", type=int, default=3)
    parser.add_argument(
        "--foreign",
        type=int,
        default=0,
        help="documents from abroad of each kind (en/es/it/de invoices, English letters and "
        "certificates); 0 by default",
    )
    parser.add_argument(
        "--lookalikes",
        type=int,
        default=0,
        help="documents of each kind that looks like an invoice and is not one (quote, pro "
        "forma, order confirmation, reminder, statement, advertising), typed other; 0 by default",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        paths = generate(
            args.out,
            args.seed,
            args.per_type,
            args.renderings,
            args.languages,
            emails=args.emails,
            foreign=args.foreign,
            lookalikes=args.lookalikes,
        )
    except ValueError as e:
        parser.error(str(e))
    log.info("%d files", len(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
