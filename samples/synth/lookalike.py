"""Documents that look like invoices and are not: quotes (devis, proposition commerciale),
pro forma invoices, order confirmations, payment reminders (relance, mise en demeure),
account statements (relevé de compte, relevé de factures) and advertising flyers with prices.

They carry what an invoice carries (a supplier's letterhead, a customer, lines with prices,
HT / TVA / TTC, legal mentions with SIRET) and differ by a few words: the title, a validity
date, "Bon pour accord", a reference to the unpaid invoice, an unsubscribe line. Their type is
``other``. Wording, layout (letterhead left or right, title above or beside the customer,
totals boxed or not, one or two columns) and which cues show are drawn per document, so that
no template is what the classifier learns. Only generated when asked for
(``generate.py --lookalikes N``): the default set does not change.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from samples.synth import fmt
from samples.synth.common import Built, hr, light, logo, new_sheet, pick_color, signature
from samples.synth.page import A4, FontFamily
from samples.synth.world import Person, Provider

LOOKALIKE_VARIANTS: tuple[str, ...] = (
    "quote", "proforma", "order_confirmation", "reminder", "statement", "advert",
)

_TITLES: dict[str, tuple[str, ...]] = {
    "quote": ("DEVIS", "Devis", "DEVIS ESTIMATIF", "Devis n° {n}", "PROPOSITION COMMERCIALE",
              "Proposition commerciale", "OFFRE DE PRIX", "Estimation des travaux",
              "PROPOSITION TARIFAIRE", "Devis gratuit"),
    "proforma": ("FACTURE PRO FORMA", "Facture proforma", "PRO FORMA", "Pro-forma n° {n}",
                 "FACTURE PRO-FORMA"),
    "order_confirmation": ("CONFIRMATION DE COMMANDE", "Confirmation de commande n° {n}",
                           "ACCUSÉ DE RÉCEPTION DE COMMANDE", "Accusé de réception de commande",
                           "Bon de commande", "BON DE COMMANDE", "Récapitulatif de commande",
                           "Votre commande n° {n}"),
    "reminder": ("RELANCE", "Relance de paiement", "RAPPEL DE PAIEMENT", "Rappel de paiement",
                 "MISE EN DEMEURE", "Mise en demeure de payer", "2e relance", "Dernier rappel",
                 "Relance : facture impayée", "AVIS DE RELANCE"),
    "statement": ("RELEVÉ DE COMPTE", "Relevé de compte client", "RELEVÉ DE FACTURES",
                  "Relevé de factures", "Extrait de compte", "Situation de compte",
                  "État des factures en attente"),
    "advert": ("PROMOTION", "OFFRE SPÉCIALE", "Offre exceptionnelle", "Les bons plans du mois",
               "PROMO", "Soldes", "Nouveauté", "Offre de printemps", "Votre avantage client"),
}

_CUES: dict[str, tuple[str, ...]] = {
    "quote": (
        "Devis valable {days} jours à compter de sa date d'émission.",
        "Offre valable jusqu'au {until}.",
        "Valable jusqu'au {until}.",
        "Bon pour accord, date et signature du client :",
        "Mention manuscrite « Bon pour accord », date et signature :",
        "Ce document n'est pas une facture.",
        "Devis gratuit. Les prix sont donnés à titre indicatif.",
        "Pour accepter cette proposition, merci de nous retourner ce devis signé.",
        "Acompte de 30 % à la commande, solde à la livraison.",
        "Proposition commerciale établie selon vos indications.",
        "Délai de réalisation : {days} jours après acceptation du devis.",
    ),
    "proforma": (
        "Facture pro forma : ce document n'a pas de valeur comptable.",
        "Document établi à titre indicatif, la facture définitive suivra la livraison.",
        "Pro forma valable jusqu'au {until}.",
        "Paiement d'avance demandé avant expédition.",
        "Ce document ne constitue pas une facture.",
    ),
    "order_confirmation": (
        "Nous accusons réception de votre commande du {date} et vous en remercions.",
        "Votre commande a bien été enregistrée.",
        "Date de livraison prévue : {until}.",
        "La facture vous sera adressée à l'expédition.",
        "Merci de vérifier le détail de votre commande.",
        "Commande confirmée, expédition sous {days} jours.",
    ),
    "reminder": (
        "Sauf erreur de notre part, la facture n° {ref} du {date} reste impayée à ce jour.",
        "Nous vous rappelons que le règlement de la facture n° {ref} est échu depuis le {date}.",
        "Nous vous mettons en demeure de régler la somme due sous huit jours.",
        "Faute de règlement sous {days} jours, nous engagerons une procédure de recouvrement.",
        "Si vous avez effectué ce règlement entre-temps, veuillez ne pas tenir compte de cette "
        "relance.",
        "Des pénalités de retard et une indemnité forfaitaire de 40 € sont exigibles.",
        "Merci de nous faire parvenir votre paiement dans les meilleurs délais.",
    ),
    "statement": (
        "Relevé arrêté au {date}.",
        "Solde de votre compte au {date}.",
        "Détail des factures non soldées à ce jour.",
        "Merci de régler le solde restant dû.",
        "Ce relevé récapitule vos factures et règlements de la période.",
    ),
    "advert": (
        "Offre valable jusqu'au {until} dans la limite des stocks disponibles.",
        "Profitez de -{pct} % sur une sélection de prestations.",
        "Pour ne plus recevoir nos offres, cliquez ici : désabonnement.",
        "Se désabonner de la newsletter.",
        "Prix TTC conseillés, hors pose.",
        "Offre non cumulable avec d'autres promotions en cours.",
        "Prenez rendez-vous en ligne sur notre site.",
        "Vous recevez ce message car vous êtes client de notre garage.",
    ),
}

_ITEMS = (
    "Remplacement plaquettes de frein", "Vidange + filtre à huile", "Main d'oeuvre",
    "Pneumatique 205/55 R16", "Kit distribution", "Pompe à eau", "Géométrie",
    "Remorquage plateau", "Forfait dépannage", "Nuitée chambre double", "Petit déjeuner",
    "Location véhicule catégorie B", "Contrôle technique", "Batterie 70 Ah", "Diagnostic",
    "Recharge climatisation", "Balais d'essuie-glace", "Parallélisme",
)


def _fill(text: str, rng: random.Random, today: date) -> str:
    until = today + timedelta(days=rng.choice([15, 30, 60, 90]))
    return text.format(
        days=rng.choice([15, 30, 60, 90]),
        until=fmt.fmt_date(until, rng.choice(["dmy_slash", "long"])),
        date=fmt.fmt_date(today - timedelta(days=rng.randint(20, 90)), "dmy_slash"),
        ref=f"F{today.year}-{rng.randint(1000, 9999)}",
        n=f"{rng.choice(['D', 'PF', 'C', 'R', ''])}{today.year}-{rng.randint(100, 9999)}",
        pct=rng.choice([10, 15, 20, 25, 30, 40, 50]),
    )


def build_lookalike(
    rng: random.Random,
    families: list[FontFamily],
    variant: str,
    person: Person,
    provider: Provider,
) -> Built:
    """One look-alike of ``variant`` (``LOOKALIKE_VARIANTS``), typed ``other``."""
    family = rng.choice(families)
    accent = pick_color(rng)
    W, H = A4
    s = new_sheet(family, A4)
    base = rng.choice([8.5, 9.0, 9.5, 10.0])
    left = rng.choice([40.0, 50.0, 60.0])
    right = W - left
    today = date(2026, 1, 15) + timedelta(days=rng.randint(0, 300))
    astyle = rng.choice(["fr", "fr_code", "de"])
    # the letterhead, left or right, with or without its logo
    head_right = rng.random() < 0.3
    hx = right if head_right else left
    align = "right" if head_right else "left"
    if rng.random() < 0.6:
        logo(s, (right - 40) if head_right else left, 36, 36, rng, accent)
        top = 92.0
    else:
        top = 50.0
    s.text(hx, top, provider.name, base + 6, bold=True, align=align, color=accent)
    for k, line in enumerate([*provider.address.lines(), f"Tél. {provider.phone}",
                              provider.email][: rng.randint(2, 4)]):
        s.text(hx, top + 16 + 12 * k, line, base, align=align)
    # the customer's block on the other side
    cx = left if head_right else W / 2 + rng.choice([0, 20, 40])
    cy = top + rng.choice([50, 70, 90])
    if rng.random() < 0.5:
        s.text(cx, cy - 14, rng.choice(["Client :", "À l'attention de", "Destinataire",
                                        "Adressé à :"]), base - 1, italic=True)
    for k, line in enumerate([person.full_name, *person.address.lines()]):
        s.text(cx, cy + 12 * k, line, base)
    # the title, with a number and a date
    title = _fill(rng.choice(_TITLES[variant]), rng, today)
    ty = cy + 70
    size = rng.choice([14, 16, 18, 20])
    if rng.random() < 0.5:
        s.text(left, ty, title, size, bold=True, color=accent)
    else:
        s.text(W / 2, ty, title, size, bold=True, align="center", color=accent)
    y = ty + 22
    number = _fill("{n}", rng, today)
    ref_label = {"quote": "Devis n°", "proforma": "N°", "order_confirmation": "Commande n°",
                 "reminder": "Réf.", "statement": "Compte client n°", "advert": "Code promo"}
    if variant != "advert" or rng.random() < 0.5:
        s.text(left, y, f"{ref_label[variant]} {number}", base)
        s.text(right, y, f"{rng.choice(['Date :', 'Le', 'Émis le', ''])} "
                         f"{fmt.fmt_date(today, rng.choice(['dmy_slash', 'long']))}".strip(),
               base, align="right")
        y += 18
    cues = rng.sample(_CUES[variant], k=min(len(_CUES[variant]), rng.randint(1, 3)))
    if variant in ("reminder", "advert") and rng.random() < 0.6:
        y = s.wrap(left, y + 8, right - left, _fill(cues.pop(0), rng, today), base + 1) + 6
    # the lines: priced items, or a statement's invoices
    y += 10
    total = Decimal(0)
    boxed = rng.random() < 0.5
    if variant == "statement":
        heads = ["Date", "Pièce", "Libellé", "Débit", "Crédit"]
    elif variant == "reminder":
        heads = ["Facture", "Date", "Échéance", "Montant TTC", "Reste dû"]
    else:
        heads = ["Désignation", "Qté", "P.U. HT", "Montant HT"]
    if variant == "advert" and rng.random() < 0.6:
        # a flyer: offers with their prices, no table
        s.text(W / 2, y + 20, f"-{rng.choice([10, 15, 20, 25, 30, 50])} %", 40, bold=True,
               align="center", color=accent)
        y += 60
        for _ in range(rng.randint(2, 5)):
            price = fmt.money(rng.randint(19, 400) + rng.choice([0, 0.5, 0.9, 0.99]))
            old = fmt.money(price * Decimal(rng.choice(["1.2", "1.25", "1.4", "1.5"])))
            s.text(left, y, rng.choice(_ITEMS), base + 2, bold=True)
            s.text(right, y, rng.choice([
                f"{fmt.fmt_amount(price, astyle)} au lieu de {fmt.fmt_amount(old, astyle)}",
                f"à partir de {fmt.fmt_amount(price, astyle)}",
                f"{fmt.fmt_amount(price, astyle)} TTC",
            ]), base + 2, align="right")
            y += 22
        heads = []
    xs = [left + (right - left) * k / max(1, len(heads)) for k in range(len(heads))]
    if boxed and heads:
        s.rect(left, y - 11, right - left, 15, stroke=None, fill=light(accent, 0.8))
    for x, h in zip(xs, heads, strict=True):
        s.text(x + 2, y, h, base - 0.5, bold=True)
    y += 16 if heads else 0
    n_lines = rng.randint(1, 6 if variant != "advert" else 4) if heads else 0
    for _ in range(n_lines):
        amount = fmt.money(rng.randint(15, 900) + rng.randint(0, 99) / 100)
        total += amount
        if variant == "statement":
            d = today - timedelta(days=rng.randint(5, 120))
            cells = [fmt.fmt_date(d, "dmy_slash"), f"F{d.year}-{rng.randint(100, 999)}",
                     rng.choice(["Facture", "Règlement", "Avoir", "Facture"]),
                     fmt.fmt_amount(amount, astyle, sign=False), ""]
        elif variant == "reminder":
            d = today - timedelta(days=rng.randint(30, 120))
            cells = [f"F{d.year}-{rng.randint(100, 999)}", fmt.fmt_date(d, "dmy_slash"),
                     fmt.fmt_date(d + timedelta(days=30), "dmy_slash"),
                     fmt.fmt_amount(amount, astyle), fmt.fmt_amount(amount, astyle)]
        else:
            q = rng.randint(1, 4)
            cells = [rng.choice(_ITEMS), str(q), fmt.fmt_amount(amount / q, astyle, sign=False),
                     fmt.fmt_amount(amount, astyle)]
        for x, c in zip(xs, cells, strict=True):
            s.text(x + 2, y, c, base)
        hr(s, left, right, y + 4, color=(0.85, 0.85, 0.85))
        y += 16
    # totals, labelled the way invoices label them
    vat = fmt.money(total * Decimal("0.2"))
    tx = right - rng.choice([160, 180, 200])
    y += 8
    rows: list[tuple[str, Decimal]]
    if variant == "statement":
        rows = [(rng.choice(["Solde dû", "Solde à régler", "Total dû", "Solde"]), total)]
    elif variant == "reminder":
        rows = [(rng.choice(["Total restant dû", "Montant à régler", "Somme due",
                             "Net à payer"]), total)]
    elif variant == "advert":
        rows = [] if rng.random() < 0.5 or not total else [("Prix promo TTC", total)]
    else:
        rows = [(rng.choice(["Total HT", "Montant HT", "Total hors taxes"]), total),
                (rng.choice(["TVA 20 %", "TVA (20 %)", "Total TVA"]), vat),
                (rng.choice(["Total TTC", "Montant TTC", "Net à payer", "Total estimé TTC"]),
                 total + vat)]
    for label, value in rows:
        s.text(tx, y, label, base, bold=True)
        s.text(right, y, fmt.fmt_amount(value, astyle), base, bold=True, align="right")
        y += 15
    # the cues that tell what the document is, then a signature box or legal mentions
    y += 14
    for cue in cues:
        y = s.wrap(left, y, right - left, _fill(cue, rng, today), base) + 4
    if variant in ("quote", "order_confirmation") and rng.random() < 0.6:
        s.rect(right - 200, y + 6, 200, 70, stroke=(0.5, 0.5, 0.5))
        s.text(right - 194, y + 20, rng.choice(["Bon pour accord", "Signature du client",
                                                "Date et signature"]), base - 1)
        if rng.random() < 0.4:
            signature(s, right - 150, y + 55, rng)
    legal = (f"{provider.name} - {provider.legal_form} au capital de "
             f"{provider.capital:,} € - RCS {provider.rcs_city} {fmt.fmt_siren(provider.siren)}"
             .replace(",", " "))
    if rng.random() < 0.7:
        legal += f" - SIRET {provider.siret}"
    if rng.random() < 0.5:
        legal += f" - TVA {provider.vat_number}"
    s.wrap(left, H - rng.choice([40, 50, 60]), right - left, legal, 7)
    return Built("other", variant, "fr", [s], {}, None, title=variant)
