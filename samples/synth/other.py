"""Documents that are none of the handled kinds: newsletter, quote, constat page, plain letter."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from samples.synth import fmt
from samples.synth.common import Built, hr, light, logo, pick_color, signature
from samples.synth.page import A4, FontFamily, Sheet
from samples.synth.world import COMPANY, Dossier, Person, Provider

VARIANTS = ["newsletter", "quote", "constat", "letter"]

NEWS = [
    (
        "Partir serein en vacances",
        "Avant de prendre la route, vérifiez la pression des pneus, "
        "les niveaux et l'état des balais d'essuie-glace. En cas de panne sur autoroute, appelez "
        "depuis une borne orange : seul le dépanneur agréé peut intervenir.",
    ),
    (
        "Votre application évolue",
        "Déclarez un sinistre, suivez l'arrivée du dépanneur et "
        "transmettez vos justificatifs depuis votre téléphone. La nouvelle version est disponible "
        "dès aujourd'hui sur les magasins d'applications.",
    ),
    (
        "Assistance à l'étranger",
        "Avant un voyage hors de l'Union européenne, pensez à emporter "
        "votre attestation d'assistance. Les frais médicaux sur place peuvent être très élevés.",
    ),
    (
        "Chiffres clés",
        "Plus de 120 000 interventions l'an dernier, un délai moyen d'arrivée du "
        "dépanneur de 42 minutes et 94 % de bénéficiaires satisfaits.",
    ),
]


def build_other(
    rng: random.Random,
    families: list[FontFamily],
    variant: str,
    person: Person,
    provider: Provider,
    dossier: Dossier | None,
) -> Built:
    family = rng.choice(families)
    accent = pick_color(rng)
    W, H = A4
    s = Sheet(W, H, family)
    base = rng.choice([9.0, 9.5, 10.0])
    left = 50.0
    today = date(2026, 2, 1) + timedelta(days=rng.randint(0, 250))
    belongs: str | None = None
    if variant == "newsletter":
        s.rect(0, 0, W, 80, stroke=None, fill=accent)
        logo(s, left, 18, 44, rng, (1, 1, 1))
        s.text(left + 60, 48, f"La Lettre {COMPANY['name']}", 22, bold=True, color=(1, 1, 1))
        s.text(
            W - left,
            68,
            f"N° {rng.randint(12, 80)} - {fmt.fmt_date(today, 'long')[2:].strip()}",
            9,
            align="right",
            color=(1, 1, 1),
        )
        col_w = (W - 2 * left - 20) / 2
        ys = [120.0, 120.0]
        for k, (title, body) in enumerate(rng.sample(NEWS, k=4)):
            c = k % 2
            x = left + c * (col_w + 20)
            s.text(x, ys[c], title, base + 4, bold=True, color=accent)
            ys[c] = s.wrap(x, ys[c] + 18, col_w, body + " " + body, base) + 22
        s.rect(left, max(ys) + 10, W - 2 * left, 60, stroke=None, fill=light(accent, 0.85))
        s.text(
            W / 2,
            max(ys) + 45,
            "Une urgence ? 24 h/24 au 0 800 00 12 34 (appel gratuit)",
            base + 3,
            bold=True,
            align="center",
        )
        s.text(
            W / 2, H - 40, "Pour vous désinscrire, répondez STOP à ce message.", 7, align="center"
        )
    elif variant == "quote":
        # A quote looks like an invoice but is not one: a hard negative for classification.
        logo(s, left, 40, 40, rng, accent)
        s.text(left + 52, 62, provider.name, 16, bold=True, color=accent)
        s.text(left + 52, 78, provider.address.one_line(), base)
        s.text(
            W - left,
            120,
            rng.choice(["DEVIS", "Devis estimatif", "PROPOSITION TARIFAIRE"]),
            20,
            bold=True,
            align="right",
            color=accent,
        )
        s.text(
            W - left,
            140,
            f"N° D{today.year}-{rng.randint(100, 999)} du {fmt.fmt_date(today, 'dmy_slash')}",
            base,
            align="right",
        )
        s.text(left, 180, f"Client : {person.full_name}", base)
        y = 220.0
        total = Decimal(0)
        for label in rng.sample(
            [
                "Remplacement embrayage",
                "Main d'oeuvre",
                "Kit distribution",
                "Pompe à eau",
                "Géométrie",
                "Pneumatiques (x2)",
            ],
            k=3,
        ):
            a = fmt.money(rng.randint(60, 600))
            total += a
            s.text(left, y, label, base)
            s.text(W - left, y, fmt.fmt_amount(a, "fr"), base, align="right")
            hr(s, left, W - left, y + 5, color=(0.8, 0.8, 0.8))
            y += 18
        s.text(W - left - 150, y + 15, "Total estimé HT", base, bold=True)
        s.text(W - left, y + 15, fmt.fmt_amount(total, "fr"), base, bold=True, align="right")
        s.wrap(
            left,
            y + 60,
            W - 2 * left,
            "Devis valable 30 jours. Ce document n'est pas une "
            "facture. Bon pour accord (date et signature) :",
            base,
        )
        s.rect(W - left - 200, y + 100, 200, 80, stroke=(0.5, 0.5, 0.5))
    elif variant == "constat":
        s.text(W / 2, 50, "CONSTAT AMIABLE D'ACCIDENT AUTOMOBILE", 15, bold=True, align="center")
        s.text(
            W / 2,
            66,
            "À signer obligatoirement par les deux conducteurs",
            8,
            align="center",
            italic=True,
        )
        colors = [(0.55, 0.7, 0.95), (0.98, 0.92, 0.55)]
        for k, vehicle in enumerate("AB"):
            x = left + k * (W - 2 * left) / 2
            w = (W - 2 * left) / 2 - 8
            s.rect(x, 90, w, 420, stroke=(0.2, 0.2, 0.2), fill=light(colors[k], 0.5))
            s.text(x + 8, 108, f"VÉHICULE {vehicle}", 12, bold=True)
            rows = [
                "Assuré / preneur d'assurance",
                "Nom :",
                "Prénom :",
                "Adresse :",
                "Véhicule - marque, type :",
                "N° d'immatriculation :",
                "Société d'assurance :",
                "N° de contrat :",
                "Conducteur - nom :",
                "Permis de conduire n° :",
            ]
            yy = 130.0
            for r in rows:
                s.text(x + 8, yy, r, 8)
                hr(s, x + 8, x + w - 8, yy + 6, color=(0.4, 0.4, 0.4), width=0.3, dash=(1, 2))
                yy += 28
            if k == 0:
                s.text(x + 50, 158, person.last_name, 9, italic=True)
                s.text(x + 50, 186, person.first_name, 9, italic=True)
        s.text(left, 540, "Circonstances (cocher les cases utiles)", 10, bold=True)
        for i, box in enumerate(
            [
                "en stationnement",
                "quittait un stationnement",
                "heurtait à l'arrière",
                "changeait de file",
                "virait à droite",
            ]
        ):
            s.rect(W / 2 - 8, 555 + i * 18, 10, 10, stroke=(0, 0, 0))
            s.text(W / 2 + 10, 564 + i * 18, box, 8)
        signature(s, left + 40, 720, rng)
        signature(s, W / 2 + 80, 720, rng)
        belongs = dossier.dossier_id if dossier else None
    else:  # general letter without any claim
        for i, t in enumerate([person.full_name, *person.address.lines()]):
            s.text(left, 70 + 13 * i, t, base)
        s.text(W - left, 150, f"Le {fmt.fmt_date(today, 'long')}", base, align="right")
        s.text(
            left,
            190,
            rng.choice(
                [
                    "Objet : changement d'adresse",
                    "Objet : résiliation de l'option newsletter",
                    "Objet : remerciements",
                ]
            ),
            base,
            bold=True,
        )
        y = s.wrap(
            left,
            225,
            W - 2 * left,
            rng.choice(
                [
                    "Madame, Monsieur, je vous informe de mon changement d'adresse à compter du "
                    "mois "
                    "prochain. Merci de mettre à jour mes coordonnées pour vos prochains "
                    "courriers.",
                    "Madame, Monsieur, je tenais à remercier l'équipe du plateau d'assistance "
                    "pour sa "
                    "disponibilité et sa gentillesse lors de mon appel. Tout s'est très bien "
                    "passé.",
                ]
            ),
            base + 1,
            leading=(base + 1) * 1.6,
        )
        s.text(left, y + 20, "Bien cordialement,", base + 1)
        s.text(W - left - 150, y + 60, person.full_name, base + 1)
        signature(s, W - left - 150, y + 95, rng)
        belongs = dossier.dossier_id if dossier else None
    return Built("other", variant, "fr", [s], {}, belongs, title=variant)
