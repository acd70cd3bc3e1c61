"""Provider invoices (garage, dépanneur, hôtel, taxi, ambulance, loueur) in four layouts."""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from samples.synth import fmt, ids
from samples.synth.common import Built, hr, light, logo, new_sheet, pick_color
from samples.synth.page import A4, FontFamily, Sheet
from samples.synth.world import COMPANY, COMPANY_DEPTS, Dossier, Mission, Person, Provider

R20, R10, R55, R21, R0 = Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0")

# label, unit, (min, max) unit price excl. tax, VAT rate, (min, max) quantity
ITEMS: dict[str, list[tuple[str, str, tuple[int, int], Decimal, tuple[int, int]]]] = {
    "garage": [
        ("Main d'oeuvre mécanique", "h", (55, 78), R20, (1, 4)),
        ("Diagnostic électronique", "forfait", (39, 69), R20, (1, 1)),
        ("Plaquettes de frein AV", "jeu", (45, 90), R20, (1, 1)),
        ("Disques de frein AV", "pce", (38, 85), R20, (2, 2)),
        ("Huile moteur 5W30", "L", (9, 16), R20, (4, 5)),
        ("Filtre à huile", "pce", (8, 19), R20, (1, 1)),
        ("Batterie 70Ah 640A", "pce", (95, 160), R20, (1, 1)),
        ("Courroie d'accessoires", "pce", (25, 60), R20, (1, 1)),
        ("Démarreur échange standard", "pce", (180, 320), R20, (1, 1)),
        ("Ingrédients et petites fournitures", "forfait", (5, 15), R20, (1, 1)),
    ],
    "tow": [
        ("Forfait dépannage sur place", "forfait", (90, 140), R20, (1, 1)),
        ("Remorquage plateau", "forfait", (120, 190), R20, (1, 1)),
        ("Déplacement", "km", (1, 3), R20, (12, 85)),
        ("Majoration nuit / week-end", "forfait", (40, 75), R20, (1, 1)),
        ("Gardiennage", "jour", (10, 18), R20, (1, 4)),
        ("Treuillage", "forfait", (60, 110), R20, (1, 1)),
    ],
    "hotel": [
        ("Nuitée chambre double", "nuit", (62, 118), R10, (1, 3)),
        ("Petit-déjeuner", "pers.", (9, 16), R10, (1, 4)),
        ("Dîner menu du jour", "pers.", (18, 32), R10, (1, 2)),
        ("Boissons alcoolisées", "u", (5, 9), R20, (1, 3)),
        ("Parking", "jour", (8, 15), R20, (1, 2)),
        ("Taxe de séjour", "pers./nuit", (1, 3), R0, (1, 4)),
    ],
    "taxi": [
        ("Course", "forfait", (28, 140), R10, (1, 1)),
        ("Prise en charge", "forfait", (3, 8), R10, (1, 1)),
        ("Supplément bagages", "u", (2, 4), R10, (1, 3)),
        ("Attente", "h", (25, 35), R10, (1, 1)),
    ],
    "ambulance": [
        ("Transport sanitaire allongé", "forfait", (65, 120), R0, (1, 1)),
        ("Indemnité kilométrique", "km", (2, 3), R0, (10, 60)),
        ("Location fauteuil roulant", "semaine", (20, 45), R55, (1, 2)),
        ("Oxygène médical", "u", (12, 30), R21, (1, 2)),
        ("Supplément nuit", "forfait", (30, 60), R0, (1, 1)),
    ],
    "rental": [
        ("Location véhicule cat. B", "jour", (38, 72), R20, (1, 5)),
        ("Rachat de franchise", "jour", (8, 16), R20, (1, 5)),
        ("Kilométrage supplémentaire", "km", (0, 1), R20, (20, 150)),
        ("Frais de livraison du véhicule", "forfait", (25, 60), R20, (1, 1)),
        ("Complément carburant", "L", (2, 3), R20, (5, 25)),
    ],
}
TITLES = {
    "garage": "Réparation",
    "tow": "Dépannage - remorquage",
    "hotel": "Hébergement",
    "taxi": "Transport de personnes",
    "ambulance": "Transport sanitaire",
    "rental": "Location",
}


@dataclass(frozen=True)
class Line:
    label: str
    unit: str
    qty: int
    unit_price: Decimal
    rate: Decimal

    @property
    def amount(self) -> Decimal:
        return fmt.money(self.unit_price * self.qty)


def _invoice_number(rng: random.Random, d: date, provider: Provider) -> str:
    n = rng.randint(12, 9999)
    initials = "".join(w[0] for w in provider.name.split() if w[0].isalpha())[:3].upper()
    return rng.choice(
        [
            f"F{d.year}-{n:04d}",
            f"FA{d.year % 100:02d}{d.month:02d}-{n:03d}",
            f"{d.year}/{n:05d}",
            f"FAC-{rng.randint(1000, 999999):06d}",
            f"{initials}{d.year % 100}{n:04d}",
            f"N{rng.randint(100000, 9999999)}",
        ]
    )


def _lines(rng: random.Random, kind: str, many: bool) -> list[Line]:
    pool = ITEMS[kind]
    k = min(len(pool), rng.randint(4, len(pool)) if many else rng.randint(2, 4))
    chosen = [pool[0], *rng.sample(pool[1:], k=k - 1)]
    lines = []
    for label, unit, (lo, hi), rate, (qlo, qhi) in chosen:
        price = fmt.money(Decimal(rng.randint(lo * 100, hi * 100 + 99)) / 100)
        if price <= 0:
            price = Decimal("0.45")
        lines.append(Line(label, unit, rng.randint(qlo, qhi), price, rate))
    return lines


def _totals(lines: list[Line]) -> tuple[Decimal, dict[Decimal, tuple[Decimal, Decimal]], Decimal]:
    by_rate: dict[Decimal, Decimal] = {}
    for ln in lines:
        by_rate[ln.rate] = by_rate.get(ln.rate, Decimal(0)) + ln.amount
    vat = {r: (base, fmt.money(base * r / 100)) for r, base in sorted(by_rate.items())}
    total_ht = sum((ln.amount for ln in lines), Decimal(0))
    total_vat = sum((v for _, v in vat.values()), Decimal(0))
    return fmt.money(total_ht), vat, fmt.money(total_vat)


def _rate(r: Decimal) -> str:
    return (f"{r:f}".rstrip("0").rstrip(".") if "." in f"{r:f}" else f"{r:f}").replace(".", ",")


class _Flow:
    """Cursor over the pages of one document."""

    def __init__(self, family: FontFamily) -> None:
        self.family = family
        self.sheets = [new_sheet(family, A4)]
        self.y = 0.0

    @property
    def sheet(self) -> Sheet:
        return self.sheets[-1]

    def new_page(self, top: float = 70) -> None:
        self.sheets.append(new_sheet(self.family, A4))
        self.y = top


def build_invoice(
    rng: random.Random,
    families: list[FontFamily],
    provider: Provider,
    dossier: Dossier | None,
    mission: Mission | None,
    *,
    two_pages: bool,
    overbill: bool = False,
    customer_person: Person | None = None,
) -> Built:
    kind = provider.kind
    family = rng.choice(families)
    accent = pick_color(rng)
    layout = rng.choice(["classic", "banner", "sidebar", "plain"])
    astyle = rng.choice(["fr", "fr", "fr", "de", "fr_code"])
    dstyle = fmt.pick_date_style(rng)
    event = (
        dossier.event_date if dossier else date(2026, 1, 10) + timedelta(days=rng.randint(0, 280))
    )
    inv_date = event + timedelta(days=rng.randint(0, 9))
    due = inv_date + timedelta(days=rng.choice([0, 15, 30, 45]))
    number = _invoice_number(rng, inv_date, provider)
    lines = _lines(rng, kind, many=two_pages)
    total_ht, vat_by_rate, total_vat = _totals(lines)
    total_ttc = total_ht + total_vat
    if mission is not None:
        mission.agreed_amount = fmt.money(total_ttc * Decimal("0.78")) if overbill else total_ttc
    deposit = fmt.money(total_ttc * Decimal("0.3")) if rng.random() < 0.2 else None

    def amt(v: Decimal, sign: bool = True) -> str:
        return fmt.fmt_amount(v, astyle, "EUR", sign=sign)

    fields: dict[str, str] = {
        "supplier_name": fmt.fold(provider.name),
        # every invoice prints its SIRET (and its RCS line the SIREN): the SIRET's first 9
        "supplier_siren": provider.siren,
        "supplier_siret": provider.siret,
        "invoice_number": number,
        "invoice_date": inv_date.isoformat(),
        "total_excl_tax": fmt.norm_amount(total_ht),
        "vat_amount": fmt.norm_amount(total_vat),
        "total_incl_tax": fmt.norm_amount(total_ttc),
        "currency": "EUR",
    }
    show_vat_no = rng.random() < 0.85
    if show_vat_no:
        fields["supplier_vat_number"] = provider.vat_number
    ben = customer_person or (dossier.beneficiary if dossier else None)
    if ben is None or (mission is not None and rng.random() < 0.8):
        customer = COMPANY["name"]
        cust_lines = [
            customer,
            rng.choice(COMPANY_DEPTS),
            COMPANY["street"],
            f"{COMPANY['postcode']} {COMPANY['city']}",
        ]
    else:
        customer = ben.full_name
        civ = ben.civility if rng.random() < 0.5 else ("M." if ben.gender == "m" else "Mme")
        cust_lines = [f"{civ} {customer}", *ben.address.lines()]
    fields["customer_name"] = fmt.fold(customer)
    refs: list[tuple[str, str]] = []
    if dossier is not None and rng.random() < (0.8 if mission else 0.35):
        fields["dossier_reference"] = dossier.dossier_id
        refs.append(
            (
                rng.choice(["Votre référence", "Réf. dossier", "N° dossier assistance", "V/Réf."]),
                dossier.dossier_id,
            )
        )
    if dossier is not None and rng.random() < 0.4:
        pol = dossier.policy_number
        fields["policy_number"] = pol
        printed = pol if rng.random() < 0.7 else f"{pol[:3]} {pol[3:6]} {pol[6:]}"
        refs.append((rng.choice(["N° contrat", "Police", "Contrat d'assistance"]), printed))
    if (
        dossier is not None
        and dossier.vehicle_registration
        and kind in ("garage", "tow", "rental")
        and rng.random() < 0.85
    ):
        fields["vehicle_registration"] = dossier.vehicle_registration
        refs.append(
            (
                rng.choice(["Immatriculation", "Véhicule immat.", "Immat."]),
                fmt.fmt_plate(dossier.vehicle_registration, rng),
            )
        )
    if mission is not None and rng.random() < 0.5:
        refs.append(("N° mission", mission.mission_id))
    show_iban = rng.random() < 0.7
    if show_iban:
        fields["iban"] = provider.bank.iban
    order_no = f"BC-{inv_date.year}-{rng.randint(100, 9999)}" if rng.random() < 0.5 else None
    client_no = f"C{rng.randint(1000, 99999)}" if rng.random() < 0.6 else None

    flow = _Flow(family)
    s = flow.sheet
    W, H = A4
    left = rng.choice([40.0, 48.0, 56.0])
    right = W - left
    base = rng.choice([8.5, 9.0, 9.5, 10.0])
    if layout == "sidebar":
        s.rect(0, 0, 150, H, stroke=None, fill=light(accent, 0.88))
        logo(s, 25, 40, 46, rng, accent)
        y = 115.0
        s.text(20, y, provider.name, base + 1.5, bold=True, color=accent)
        y += 16
        for t in [
            *provider.address.lines(),
            f"Tél. {provider.phone}",
            *([f"Fax {provider.fax}"] if provider.fax else []),
            provider.email,
            *([provider.website] if provider.website else []),
        ]:
            s.text(20, y, t, base - 1.5)
            y += 12
        y += 10
        s.text(20, y, f"SIRET {fmt.fmt_siret(provider.siret, rng)}", base - 2)
        if show_vat_no:
            s.text(20, y + 11, f"TVA {provider.vat_number}", base - 2)
        left = 175.0
        top = 60.0
    elif layout == "banner":
        s.rect(0, 0, W, 95, stroke=None, fill=accent)
        logo(s, left, 22, 50, rng, (1, 1, 1))
        s.text(left + 64, 48, provider.name, base + 8, bold=True, color=(1, 1, 1))
        s.text(
            left + 64,
            64,
            f"{TITLES[kind]} · {provider.address.one_line()}",
            base - 0.5,
            color=(1, 1, 1),
        )
        s.text(
            left + 64, 78, f"Tél. {provider.phone}  ·  {provider.email}", base - 1, color=(1, 1, 1)
        )
        top = 125.0
    else:
        if layout == "classic":
            logo(s, left, 40, 42, rng, accent)
            x0 = left + 54
        else:
            x0 = left
        s.text(
            x0,
            55,
            provider.name,
            base + (6 if layout == "classic" else 3),
            bold=True,
            color=accent if layout == "classic" else (0, 0, 0),
        )
        yy = 70.0
        for t in [
            f"{provider.legal_form} - {TITLES[kind]}",
            *provider.address.lines(),
            f"Tél. : {provider.phone}" + (f"  Fax : {provider.fax}" if provider.fax else ""),
        ]:
            s.text(x0, yy, t, base - 0.5)
            yy += base + 3
        top = max(yy + 15, 135.0)

    # Title and meta data.
    title = (
        rng.choice(["FACTURE", "Facture", "FACTURE N°", "Facture acquittée"])
        if layout != "plain"
        else "FACTURE"
    )
    meta_label_no = rng.choice(["Facture n°", "N° de facture", "Numéro", "Réf. facture"])
    meta_label_date = rng.choice(["Date", "Date de facture", "Émise le", "Date d'émission"])
    meta = [(meta_label_no, number), (meta_label_date, fmt.fmt_date(inv_date, dstyle))]
    if due != inv_date:
        meta.append(
            (
                rng.choice(["Échéance", "Date d'échéance", "À régler avant le"]),
                fmt.fmt_date(due, dstyle),
            )
        )
    else:
        meta.append(("Échéance", "à réception"))
    if client_no:
        meta.append(("N° client", client_no))
    if order_no:
        meta.append(("N° commande", order_no))
    meta.append(
        (rng.choice(["Date de prestation", "Intervention du"]), fmt.fmt_date(event, dstyle))
    )
    meta += refs

    y = top
    if layout in ("classic", "banner", "sidebar"):
        title_text = title if title != "FACTURE N°" else f"FACTURE N° {number}"
        s.text(left, y + 10, title_text, base + 10, bold=True, color=accent)
        y += 34
        bw = 170 if layout == "sidebar" else 215
        label_w = 100 if layout == "sidebar" else 112
        bx = right - bw
        s.rect(
            bx,
            y - 12,
            bw,
            14 + 13 * len(cust_lines),
            stroke=(0.5, 0.5, 0.5),
            fill=light(accent, 0.93) if layout == "banner" else None,
        )
        for i, t in enumerate(cust_lines):
            s.text(bx + 10, y + 2 + 13 * i, t, base, bold=i == 0)
        my = y
        for label, value in meta:
            if title == "FACTURE N°" and label == meta_label_no:
                continue
            s.text(left, my, f"{label} :", base - 0.5, bold=True)
            s.text(left + label_w, my, value, base - 0.5)
            my += base + 4
        y = max(my, y + 13 * len(cust_lines) + 14) + 18
    else:  # plain, typewriter-like
        mono = family
        s.text(left, y, "=" * 10 + f" {title} " + "=" * 10, base + 2, bold=True)
        y += 22
        s.text(left, y, "Adressée à :", base, bold=True)
        for t in cust_lines:
            y += base + 3
            s.text(left + 70, y, t, base, font=mono.regular)
        y += 18
        for label, value in meta:
            s.text(left, y, f"{label.ljust(22)}: {value}", base)
            y += base + 3
        y += 12

    # Line items.
    cols = [left, right - 250, right - 190, right - 120, right - 60, right]
    head = ["Désignation", "Qté", "P.U. HT", "TVA", "Montant HT"]
    if rng.random() < 0.3:
        head = ["Description", "Quantité", "Prix unitaire", "Taux", "Total HT"]
    row_h = base + 8

    def table_head(sh: Sheet, yy: float) -> float:
        if layout == "plain":
            hr(sh, left, right, yy - base - 2, dash=(2, 2))
        else:
            sh.rect(
                left,
                yy - base - 4,
                right - left,
                row_h,
                stroke=None,
                fill=accent if layout != "sidebar" else light(accent, 0.6),
            )
        color = (1, 1, 1) if layout in ("classic", "banner") else (0, 0, 0)
        sh.text(cols[0] + 4, yy, head[0], base, bold=True, color=color)
        for i, h in enumerate(head[1:], start=1):
            sh.text(cols[i + 1] - 4, yy, h, base, bold=True, color=color, align="right")
        return yy + row_h + 2

    y = table_head(s, y)
    for n, ln in enumerate(lines):
        if y > H - 120:
            flow.new_page()
            s = flow.sheet
            y = table_head(s, flow.y)
        if layout == "banner" and n % 2 == 0:
            s.rect(left, y - base - 3, right - left, row_h, stroke=None, fill=light(accent, 0.92))
        label = ln.label if ln.qty == 1 or ln.unit == "forfait" else f"{ln.label} ({ln.unit})"
        s.text(cols[0] + 4, y, label, base)
        s.text(cols[2] - 4, y, str(ln.qty), base, align="right")
        s.text(cols[3] - 4, y, amt(ln.unit_price, sign=False), base, align="right")
        s.text(cols[4] - 4, y, f"{_rate(ln.rate)} %" if ln.rate else "exo.", base, align="right")
        s.text(cols[5] - 4, y, amt(ln.amount, sign=False), base, align="right")
        if layout == "classic":
            hr(s, left, right, y + 5, color=(0.75, 0.75, 0.75), width=0.4)
        y += row_h
    y += 14
    if two_pages:
        s.text(right, H - 82, "À reporter : " + amt(total_ht), base, align="right")
        flow.new_page()
        s = flow.sheet
        y = flow.y
        s.text(left, y - 20, f"{provider.name} - Facture {number} (suite)", base, bold=True)
        y += 10

    # Totals.
    tx = right - 230
    rows: list[tuple[str, str, bool]] = [
        (rng.choice(["Total HT", "Montant HT", "Total hors taxes"]), amt(total_ht), False)
    ]
    exempt_only = all(r == 0 for r in vat_by_rate)
    for r, (b, v) in vat_by_rate.items():
        if r == 0:
            continue
        rows.append((f"TVA {_rate(r)} % sur {amt(b, sign=False)}", amt(v), False))
    if len([r for r in vat_by_rate if r]) > 1 or exempt_only:
        rows.append(("Total TVA", amt(total_vat), False))
    rows.append((rng.choice(["Total TTC", "Montant TTC", "TOTAL TTC"]), amt(total_ttc), True))
    if deposit is not None:
        rows.append(("Acompte versé", f"- {amt(deposit)}", False))
        rows.append((rng.choice(["Net à payer", "Reste dû"]), amt(total_ttc - deposit), True))
    elif rng.random() < 0.4:
        rows.append(("Net à payer", amt(total_ttc), True))
    if layout != "plain":
        s.rect(
            tx - 8,
            y - base - 6,
            right - tx + 8,
            (base + 7) * len(rows) + 8,
            stroke=accent,
            fill=None,
            width=0.8,
        )
    for label, value, strong in rows:
        s.text(tx, y, label, base, bold=strong)
        s.text(right - 6, y, value, base + (1 if strong else 0), bold=strong, align="right")
        y += base + 7
    if exempt_only:
        s.text(
            left, y + 4, "TVA non applicable, article 261-4-1° bis du CGI", base - 1, italic=True
        )
    y += 24

    # Payment and conditions.
    pay = rng.choice(
        [
            "Règlement par virement à réception de facture.",
            "Conditions de paiement : 30 jours date de facture.",
            "Paiement par chèque ou virement bancaire.",
        ]
    )
    s.text(left, y, pay, base - 0.5)
    y += base + 5
    if show_iban:
        ib = provider.bank.iban
        s.text(
            left,
            y,
            f"IBAN : {ids.group4(ib) if rng.random() < 0.75 else ib}   BIC : {provider.bank.bic}",
            base - 0.5,
            bold=layout == "classic",
        )
        y += base + 5
        s.text(left, y, f"Banque : {provider.bank.bank_name}", base - 1)
        y += base + 5
    if rng.random() < 0.5:
        s.text(
            left,
            y + 6,
            rng.choice(
                [
                    "Merci de votre confiance.",
                    "Bonne route et merci de votre confiance !",
                    "Nous restons à votre disposition.",
                ]
            ),
            base,
            italic=True,
        )

    footer = [
        f"{provider.name} - {provider.legal_form} au capital de "
        f"{fmt.fmt_amount(Decimal(provider.capital), 'fr').replace(',00', '')} - "
        f"RCS {provider.rcs_city} B {fmt.fmt_siren(provider.siren)} - "
        f"SIRET {fmt.fmt_siret(provider.siret, rng)} - APE {provider.ape}",
        ("N° TVA intracommunautaire : " + provider.vat_number + " - ") if show_vat_no else "",
        "Pénalités de retard : 3 fois le taux d'intérêt légal. Indemnité forfaitaire pour frais "
        "de recouvrement : 40 €. Pas d'escompte pour paiement anticipé.",
    ]
    n_pages = len(flow.sheets)
    for i, sh in enumerate(flow.sheets, start=1):
        fy = H - 52
        hr(sh, 40, W - 40, fy - 12, color=(0.6, 0.6, 0.6), width=0.4)
        legal = textwrap.wrap(" ".join(footer), 135)
        for k, t in enumerate(legal[:4]):
            sh.text(W / 2, fy + 8.5 * k, t, 6.5, align="center", color=(0.3, 0.3, 0.3))
        if n_pages > 1:
            sh.text(W - 40, H - 20, f"Page {i}/{n_pages}", 7, align="right")
    notes = ["overbilled"] if overbill else []
    return Built(
        "invoice",
        kind,
        "fr",
        flow.sheets,
        fields,
        dossier.dossier_id if dossier else None,
        title=f"Facture {number}",
        author=provider.name,
        notes=notes,
    )
