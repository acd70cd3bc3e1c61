"""RIB (relevé d'identité bancaire) in three layouts, one of them printed three times to cut."""

from __future__ import annotations

import random
from datetime import date, timedelta

from samples.synth import fmt, ids
from samples.synth.common import Built, hr, light, logo, pick_color
from samples.synth.page import A4, FontFamily, Sheet
from samples.synth.world import Dossier, Person


def _block(
    s: Sheet,
    x: float,
    y: float,
    w: float,
    person: Person,
    rng: random.Random,
    accent: tuple[float, float, float],
    base: float,
    style: str,
    show_bic: bool,
    holder: str,
) -> float:
    b = person.bank
    if style == "boxed":
        s.rect(x, y, w, 190, stroke=accent, width=1.2)
        logo(s, x + 12, y + 12, 30, rng, accent)
        s.text(x + 52, y + 26, b.bank_name, base + 4, bold=True, color=accent)
        s.text(x + w - 12, y + 26, "Relevé d'Identité Bancaire", base, align="right", bold=True)
        yy = y + 58
    else:
        s.text(x, y + 14, "RIB / IBAN", base + 6, bold=True, color=accent)
        s.text(x + w, y + 14, b.bank_name, base + 2, align="right")
        yy = y + 42
    s.text(x + 12, yy, "Titulaire du compte :", base - 1)
    s.text(x + 130, yy, holder, base, bold=True)
    yy += base + 4
    for t in person.address.lines():
        s.text(x + 130, yy, t, base - 1)
        yy += base + 2
    s.text(x + 12, yy + 4, "Domiciliation :", base - 1)
    s.text(x + 130, yy + 4, b.domiciliation, base - 1)
    yy += base + 16
    cols = [
        ("Code banque", b.bank_code),
        ("Code guichet", b.branch),
        ("N° de compte", b.account),
        ("Clé RIB", b.key),
    ]
    cx = x + 12
    widths = [80, 80, 130, 50]
    for (label, value), cw in zip(cols, widths, strict=True):
        s.rect(cx, yy - 10, cw, 30, stroke=(0.4, 0.4, 0.4), fill=light(accent, 0.92), width=0.5)
        s.text(cx + 4, yy, label, base - 2)
        s.text(cx + 4, yy + 14, value, base, font=s.font(bold=True))
        cx += cw
    yy += 40
    lab = rng.choice(
        [
            "IBAN",
            "IBAN (International Bank Account Number)",
            "Identifiant international de compte bancaire (IBAN)",
        ]
    )
    s.text(x + 12, yy, lab, base - 1.5)
    yy += base + 3
    s.text(x + 12, yy, ids.group4(b.iban), base + 2, bold=True)
    yy += base + 10
    if show_bic:
        s.text(
            x + 12,
            yy,
            f"BIC : {b.bic}"
            if rng.random() < 0.6
            else f"Code BIC (Bank Identifier Code) : {b.bic}",
            base,
        )
        yy += base
    return yy


def build_rib(
    rng: random.Random, families: list[FontFamily], person: Person, dossier: Dossier | None
) -> Built:
    family = rng.choice(families)
    accent = pick_color(rng)
    W, H = A4
    s = Sheet(W, H, family)
    base = rng.choice([8.5, 9.0, 10.0])
    layout = rng.choice(["single", "triple", "letter"])
    civ = "MME" if person.gender == "f" else "M."
    holder_value, holder = rng.choice(
        [
            (person.full_name.upper(), f"{civ} {person.full_name.upper()}"),
            (person.full_name, person.full_name),
            (f"{person.last_name} {person.first_name}", f"{person.last_name} {person.first_name}"),
        ]
    )
    holder_value = fmt.fold(holder_value)
    show_bic = rng.random() < 0.92
    if layout == "triple":
        for k in range(3):
            top = 40 + k * 265
            _block(s, 50, top, W - 100, person, rng, accent, base, "boxed", show_bic, holder)
            if k < 2:
                hr(s, 20, W - 20, top + 235, dash=(4, 3), color=(0.5, 0.5, 0.5))
    elif layout == "single":
        _block(
            s,
            60,
            80,
            W - 120,
            person,
            rng,
            accent,
            base,
            rng.choice(["boxed", "open"]),
            show_bic,
            holder,
        )
    else:
        s.text(60, 70, person.bank.bank_name, base + 8, bold=True, color=accent)
        s.text(60, 90, f"Agence de {person.address.city}", base)
        s.text(
            W - 60,
            140,
            f"Le {fmt.fmt_date(dossier.opened_on if dossier else _d(rng), 'long')}",
            base,
            align="right",
        )
        y = s.wrap(
            60,
            180,
            W - 120,
            "Vous trouverez ci-dessous vos coordonnées bancaires, à "
            "communiquer à vos créanciers ou débiteurs pour les prélèvements et virements "
            "sur votre compte.",
            base + 1,
        )
        _block(s, 60, y + 20, W - 120, person, rng, accent, base, "open", show_bic, holder)
        s.text(
            W / 2,
            H - 50,
            f"{person.bank.bank_name} - Société anonyme - siège social à Paris",
            7,
            align="center",
        )
    fields = {"account_holder": holder_value, "iban": person.bank.iban}
    if show_bic:
        fields["bic"] = person.bank.bic
    return Built(
        "bank_details",
        layout,
        "fr",
        [s],
        fields,
        dossier.dossier_id if dossier else None,
        title="RIB",
    )


def _d(rng: random.Random) -> date:
    return date(2026, 1, 5) + timedelta(days=rng.randint(0, 280))
