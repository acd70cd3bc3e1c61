"""Beneficiaries' claim letters (demandes de remboursement), in natural French prose."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from samples.synth import fmt
from samples.synth.common import Built, hr, signature
from samples.synth.page import A4, FontFamily, Sheet
from samples.synth.world import COMPANY, COMPANY_DEPTS, Dossier, Person

EVENTS = {
    "vehicle_breakdown": "la panne de mon véhicule",
    "accident": "l'accident de la circulation dont j'ai été victime",
    "medical": "mon hospitalisation",
    "travel": "mon séjour à l'étranger, au cours duquel j'ai dû être soigné(e)",
    "home": "le dégât des eaux survenu à mon domicile",
}
EXPENSES = {
    "vehicle_breakdown": [
        ("les frais de dépannage", 95, 260),
        ("une nuit d'hôtel", 60, 110),
        ("un taxi jusqu'à la gare", 25, 80),
        ("les billets de train", 40, 140),
    ],
    "accident": [
        ("les frais de remorquage", 120, 280),
        ("la location d'un véhicule", 90, 260),
        ("les frais de taxi", 20, 70),
    ],
    "medical": [
        ("les frais de transport en taxi", 20, 90),
        ("les médicaments", 12, 60),
        ("les frais de consultation", 25, 60),
    ],
    "travel": [
        ("les frais médicaux sur place", 60, 450),
        ("la pharmacie", 15, 70),
        ("une nuit d'hôtel supplémentaire", 70, 140),
        ("le taxi vers l'hôpital", 20, 60),
    ],
    "home": [("l'hébergement à l'hôtel", 70, 200), ("le gardiennage du mobilier", 50, 150)],
}


def _money_text(v: Decimal, rng: random.Random) -> str:
    return fmt.fmt_amount(v, rng.choice(["fr", "fr", "fr_code", "de"]))


def build_claim_letter(
    rng: random.Random,
    families: list[FontFamily],
    person: Person,
    dossier: Dossier | None,
    event_type: str | None = None,
) -> Built:
    """A letter from ``person``; with no dossier the sender is unknown to the company."""
    family = rng.choice(families)
    W, H = A4
    s = Sheet(W, H, family)
    base = rng.choice([10.0, 10.5, 11.0, 11.5])
    lead = base * rng.choice([1.45, 1.6, 1.75])
    left = rng.choice([55.0, 65.0, 75.0])
    width = W - 2 * left
    etype = dossier.event_type if dossier else (event_type or "travel")
    event = (
        dossier.event_date if dossier else date(2026, 3, 1) + timedelta(days=rng.randint(0, 200))
    )
    written = event + timedelta(days=rng.randint(5, 30))
    pool = EXPENSES[etype]
    items = [
        (label, fmt.money(Decimal(rng.randint(lo * 100, hi * 100)) / 100))
        for label, lo, hi in rng.sample(pool, k=rng.randint(1, min(3, len(pool))))
    ]
    total = fmt.money(sum((a for _, a in items), Decimal(0)))
    layout = rng.choice(["formal", "formal", "note", "table"])
    sender_printed = rng.choice(
        [person.full_name, f"{person.first_name} {person.last_name.title()}"]
    )
    fields: dict[str, str] = {
        "sender_name": fmt.fold(sender_printed),
        "requested_amount": fmt.norm_amount(total),
    }
    y = 70.0
    for t in [sender_printed, *person.address.lines(), person.phone, person.email]:
        s.text(left, y, t, base - 0.5)
        y += base + 3
    if layout != "note":
        ry = 150.0
        for t in [
            COMPANY["name"],
            rng.choice(COMPANY_DEPTS),
            COMPANY["street"],
            f"{COMPANY['postcode']} {COMPANY['city']}",
        ]:
            s.text(W - left - 190, ry, t, base - 0.5)
            ry += base + 3
        y = max(y, ry)
    y += 25
    dstyle = rng.choice(["long", "long", "dmy_slash"])
    s.text(
        W - left,
        y,
        f"{person.address.city}, le {fmt.fmt_date(written, dstyle)}",
        base,
        align="right",
    )
    y += 35
    ref_txt = ""
    if dossier is not None and rng.random() < 0.8:
        ref_txt = f" - dossier {dossier.dossier_id}"
        fields["dossier_reference"] = dossier.dossier_id
    s.text(left, y, f"Objet : demande de remboursement{ref_txt}", base, bold=True)
    y += lead
    if dossier is not None and rng.random() < 0.55:
        pol = dossier.policy_number
        s.text(left, y, f"Contrat n° {pol}", base, bold=True)
        fields["policy_number"] = pol
        y += lead
    y += lead
    salutation = rng.choice(["Madame, Monsieur,", "Bonjour,", "Madame, Monsieur,"])
    s.text(left, y, salutation, base)
    y += lead * 1.4
    intro = rng.choice(
        [
            f"Suite à {EVENTS[etype]} le {fmt.fmt_date(event, 'long')}, j'ai été amené(e) à "
            f"avancer "
            "plusieurs frais que je vous remercie de bien vouloir me rembourser.",
            f"Le {fmt.fmt_date(event, 'long')}, {EVENTS[etype]} m'a contraint(e) à engager des "
            "dépenses imprévues. Je me permets de vous en demander le remboursement.",
            f"Je vous écris au sujet de {EVENTS[etype]}, survenu(e) le "
            f"{fmt.fmt_date(event, 'dmy_slash')}. Votre plateau d'assistance m'a conseillé de vous "
            "adresser les justificatifs des frais que j'ai réglés moi-même.",
        ]
    )
    y = s.wrap(left, y, width, intro, base, leading=lead)
    y += lead * 0.5
    if layout == "table":
        y = s.wrap(
            left,
            y,
            width,
            "Vous trouverez ci-dessous le récapitulatif des frais avancés :",
            base,
            leading=lead,
        )
        for label, a in items:
            s.text(left + 20, y, label[0].upper() + label[1:], base)
            s.text(W - left - 20, y, _money_text(a, rng), base, align="right")
            y += lead
        hr(s, W - left - 150, W - left - 20, y - base)
        s.text(left + 20, y + 4, "Total demandé", base, bold=True)
        s.text(W - left - 20, y + 4, _money_text(total, rng), base, bold=True, align="right")
        y += lead * 1.8
    else:
        parts = [f"{label} ({_money_text(a, rng)})" for label, a in items]
        if len(items) == 1:
            body = (
                f"J'ai réglé {parts[0]}, dont je sollicite le remboursement, soit la somme de "
                f"{_money_text(total, rng)}."
            )
        else:
            body = (
                f"J'ai ainsi réglé {', '.join(parts[:-1])} et {parts[-1]}, soit un total de "
                f"{_money_text(total, rng)}."
            )
        y = s.wrap(left, y, width, body, base, leading=lead)
        y += lead * 0.5
    if rng.random() < 0.4:
        y = s.wrap(
            left,
            y,
            width,
            rng.choice(
                [
                    "Je précise que mon contrat prévoit un plafond de 80 € par nuit pour l'hôtel.",
                    f"Le garagiste m'a par ailleurs remis un devis de "
                    f"{_money_text(Decimal('845.00'), rng)} "
                    "pour la réparation, que je n'ai pas encore accepté.",
                    "Votre conseillère m'avait indiqué par téléphone que ces frais seraient pris "
                    "en charge.",
                ]
            ),
            base,
            leading=lead,
        )
        y += lead * 0.5
    y = s.wrap(
        left,
        y,
        width,
        rng.choice(
            [
                "Vous trouverez ci-joint les justificatifs correspondants ainsi qu'un RIB.",
                "Je joins à ce courrier les factures et mon relevé d'identité bancaire.",
                "Les pièces justificatives sont jointes à la présente.",
            ]
        ),
        base,
        leading=lead,
    )
    y += lead * 0.5
    y = s.wrap(
        left,
        y,
        width,
        rng.choice(
            [
                "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations "
                "distinguées.",
                "Dans l'attente de votre retour, je vous prie de recevoir mes sincères "
                "salutations.",
                "Merci par avance pour votre aide. Cordialement,",
            ]
        ),
        base,
        leading=lead,
    )
    y += lead * 1.5
    s.text(W - left - 150, y, sender_printed, base)
    signature(s, W - left - 150, y + 35, rng)
    if layout != "note":
        s.text(left, H - 60, "P.J. : factures, RIB", base - 1.5, italic=True)
    return Built(
        "claim_letter",
        layout,
        "fr",
        [s],
        fields,
        dossier.dossier_id if dossier else None,
        title="Demande de remboursement",
        author=sender_printed,
    )


def claim_email_body(
    rng: random.Random,
    person: Person,
    dossier: Dossier | None,
    amount: Decimal,
    attachments: list[str],
) -> tuple[str, dict[str, str]]:
    """A plain-text claim email and the fields it carries."""
    fields: dict[str, str] = {
        "sender_name": fmt.fold(person.full_name),
        "requested_amount": fmt.norm_amount(amount),
    }
    ref = ""
    if dossier is not None:
        ref = f" (dossier {dossier.dossier_id})"
        fields["dossier_reference"] = dossier.dossier_id
    event = dossier.event_date if dossier else date(2026, 4, 2)
    etype = dossier.event_type if dossier else "travel"
    lines = [
        "Bonjour,",
        "",
        f"Suite à {EVENTS[etype]} le {fmt.fmt_date(event, 'long')}{ref}, je vous adresse les "
        f"justificatifs des frais que j'ai avancés, pour un montant total de "
        f"{fmt.fmt_amount(amount, 'fr')}.",
        "",
        "Pièces jointes : " + ", ".join(attachments) + ".",
    ]
    if dossier is not None and rng.random() < 0.6:
        lines += ["", f"Mon numéro de contrat : {dossier.policy_number}"]
        fields["policy_number"] = dossier.policy_number
    lines += [
        "",
        "Merci de me tenir informé(e) du remboursement.",
        "",
        "Cordialement,",
        person.full_name,
        person.phone,
    ]
    return "\n".join(lines), fields
