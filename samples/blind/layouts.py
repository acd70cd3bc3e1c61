"""The layout families, drawn from what real French documents look like.

Each builder draws one document on a ``Sheet`` and returns the contract's fields for what it
drew. Wordings, label positions (left, above, in a table's header, in boxes), name casing,
column counts and the distracting numbers and dates real documents carry (date of birth,
order numbers, first registration date, reception stamp) are drawn at random per document.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from samples.blind.ids import (
    Company,
    Person,
    company,
    fr_amount,
    fr_date,
    groups_of_four,
    money,
    printed_plate,
)
from samples.blind.sheet import Sheet


@dataclass(frozen=True)
class Case:
    """One assistance file, seen from the documents: who, what, when."""

    dossier_id: str
    policy_number: str
    person: Person
    plate: str
    event_date: date
    event_type: str
    assisteur: str


@dataclass
class Drawn:
    doc_type: str
    variant: str
    fields: dict[str, str]
    pdf: bytes
    pages: int
    dossier_id: str | None
    provider: Company | None = None
    provider_service: str | None = None
    notes: list[str] = field(default_factory=list)


GRAY = (0.3, 0.3, 0.32)


def pick(rng: random.Random, options: list[str]) -> str:
    return rng.choice(options)


def kv(
    s: Sheet, rng: random.Random, x: float, y: float, pairs: list[tuple[str, str]], style: str,
    size: float = 9.5, width: float = 90.0,
) -> float:
    """Label/value pairs in one of the ways forms and invoices set them; returns the y below."""
    if style == "colon":
        for label, value in pairs:
            sep = pick(rng, [" : ", " : ", ": ", " "])
            s.text(x, y, f"{label}{sep}{value}", "Sans", size)
            y += size * 0.48
        return y
    if style == "tab":
        tab = max(s.width_of(lbl, "Sans", size) for lbl, _ in pairs) + 4
        for label, value in pairs:
            s.text(x, y, label, "Sans", size, color=GRAY)
            s.text(x + tab, y, value, "Sans-Bold", size)
            y += size * 0.5
        return y
    if style == "above":
        for label, value in pairs:
            s.text(x, y, label.upper(), "Sans", size * 0.72, color=GRAY)
            s.text(x, y + size * 0.42, value, "Sans-Bold", size)
            y += size * 0.95
        return y
    # "grid": the labels in a header row, the values in the row below, each in its cell
    cell = width / len(pairs)
    s.rect(x, y - 4.2, width, 10.5, width=0.4)
    s.rect(x, y - 4.2, width, 4.6, width=0.4, fill=0.9)
    s.c.setFillColorRGB(0, 0, 0)
    for i, (label, value) in enumerate(pairs):
        if i:
            s.vline(x + i * cell, y - 4.2, y + 6.3, width=0.4)
        s.text(x + i * cell + 1.5, y - 0.6, label, "Cond-Bold", size * 0.78)
        s.text(x + i * cell + 1.5, y + 4.6, value, "Cond", size * 0.9)
    return y + 11


def items_table(
    s: Sheet, rng: random.Random, x: float, y: float, w: float,
    rows: list[tuple[str, Decimal, Decimal, Decimal]], with_vat_col: bool, face: str,
) -> float:
    """Lines of an invoice: description, quantity, unit price excl. tax, VAT rate, amount."""
    heads = pick(rng, [
        "Désignation|Qté|P.U. HT|Montant HT",
        "Description|Quantité|Prix unitaire|Total HT",
        "Libellé|Qté|PU HT|Total H.T.",
        "Prestation|Nb|Prix U.|Montant",
    ]).split("|")
    if with_vat_col:
        heads.insert(3, "TVA")
    if with_vat_col:
        cols = [x + 2, x + w * 0.55, x + w * 0.67, x + w * 0.79, x + w - 1]
    else:
        cols = [x + 2, x + w * 0.62, x + w * 0.8, x + w - 1]
    s.rect(x, y - 4.5, w, 6.5, width=0.4, fill=0.88)
    s.c.setFillColorRGB(0, 0, 0)
    for i, h in enumerate(heads):
        s.text(cols[i], y, h, face + "-Bold" if "Bold" not in face else face, 8.5,
               "left" if i == 0 else "right")
    y += 7
    for desc, qty, unit, rate in rows:
        qty_s = f"{qty:.2f}".rstrip("0").rstrip(".").replace(".", ",")
        cells = [desc, qty_s, fr_amount(unit), fr_amount(money(qty * unit))]
        if with_vat_col:
            cells.insert(3, f"{rate:g}".replace(".", ",") + " %")
        for i, cell in enumerate(cells):
            s.text(cols[i], y, cell, face, 8.8, "left" if i == 0 else "right")
        y += 5
    s.hline(x, x + w, y - 2.5, 0.4)
    return y + 3


def vat_breakdown(rows: list[tuple[str, Decimal, Decimal, Decimal]]) -> dict[Decimal, Decimal]:
    bases: dict[Decimal, Decimal] = {}
    for _, qty, unit, rate in rows:
        bases[rate] = bases.get(rate, Decimal(0)) + money(qty * unit)
    return bases


def legal_footer(
    s: Sheet, rng: random.Random, co: Company, y: float, show_siret: bool, show_iban: bool,
    show_vat: bool, ape: str,
) -> None:
    spaced_siren = f"{co.siren[:3]} {co.siren[3:6]} {co.siren[6:]}"
    parts = [f"{co.name} - {co.legal_form} au capital de {co.capital:,} €".replace(",", " ")]
    if show_siret:
        siret_print = pick(rng, [co.siret, f"{spaced_siren} {co.siret[9:]}"])
        parts.append(f"{pick(rng, ['SIRET', 'Siret', 'N° SIRET'])} {siret_print}")
        if rng.random() < 0.5:
            parts.append(f"RCS {co.city} {spaced_siren}")
    else:
        parts.append(pick(rng, [f"RCS {co.city} B {spaced_siren}", f"SIREN {spaced_siren}",
                                f"R.C.S. {co.city} {co.siren}"]))
    parts.append(f"{pick(rng, ['APE', 'NAF', 'Code APE'])} {ape}")
    if show_vat:
        parts.append(pick(rng, ["TVA intracom. ", "N° TVA intracommunautaire : ",
                                "N° TVA : ", "TVA FR : "]) + co.vat)
    line1 = " - ".join(parts)
    rows = [line1]
    if show_iban:
        a = co.account
        rows.append(
            pick(rng, ["Coordonnées bancaires : ", "IBAN : ", "Règlement par virement - IBAN "])
            + groups_of_four(a.iban) + f"  BIC : {a.bic}"
        )
    rows.append(pick(rng, [
        "Pénalités de retard : trois fois le taux d'intérêt légal. Indemnité forfaitaire pour "
        "frais de recouvrement : 40 €.",
        "Pas d'escompte pour paiement anticipé. Tout retard de paiement entraîne une indemnité "
        "forfaitaire de 40 € (art. L441-10 du Code de commerce).",
    ]))
    s.hline(12, s.width - 12, y - 4, 0.3)
    for r in rows:
        if s.width_of(r, "Sans", 7.2) > s.width - 24:
            half = r.rfind(" - ", 0, len(r) // 2 + 20)
            half = half if half > 0 else len(r) // 2
            s.text(s.width / 2, y, r[:half], "Sans", 7.2, "center", GRAY)
            y += 3.4
            r = r[half:].lstrip(" -")
        s.text(s.width / 2, y, r, "Sans", 7.2, "center", GRAY)
        y += 3.4


# -- invoices -------------------------------------------------------------------------------

INVOICE_NUMBER_LABELS = ["Facture N°", "FACTURE n°", "N° de facture", "Facture n° :",
                         "Réf. facture", "Numéro de facture", "N° pièce"]
INVOICE_DATE_LABELS = ["Date", "Date de facture", "Date d'émission", "Émise le", "Date facture",
                       "Le"]
DOSSIER_LABELS = ["N° dossier assistance", "Votre référence", "V/Réf.", "Réf. dossier",
                  "Dossier n°", "Référence assisteur", "N° de prise en charge", "Vos réf."]
POLICY_LABELS = ["N° contrat", "Contrat n°", "Police n°", "N° de police", "N° adhérent"]
PLATE_LABELS = ["Immatriculation", "Immat.", "N° d'immatriculation", "Véhicule immatriculé",
                "Plaque"]
TOTAL_HT_LABELS = ["Total HT", "Montant HT", "Total H.T.", "TOTAL HORS TAXES", "Sous-total HT",
                   "Base HT"]
TTC_LABELS = ["Total TTC", "Net à payer", "TOTAL T.T.C.", "Montant TTC", "NET A PAYER TTC",
              "Total à régler", "Montant total TTC"]


@dataclass(frozen=True)
class InvoiceFamily:
    name: str
    service: str
    names: list[str]
    tagline: list[str]
    items: list[tuple[str, float, float, float, float]]  # desc, qty lo, qty hi, price lo, hi
    ape: str


FAMILIES = {
    "depanneur": InvoiceFamily(
        "depanneur", "towing",
        ["Dépannage {last}", "{last} Dépannage Remorquage", "Garage-Dépannage du {place}",
         "SOS Remorquage {city}"],
        ["Dépannage - Remorquage 24h/24 7j/7", "Assistance routière - Agréé autoroutes",
         "Remorquage VL / VUL - Fourrière"],
        [("Forfait dépannage sur place", 1, 1, 95, 160), ("Remorquage plateau", 1, 1, 110, 190),
         ("Kilomètres parcourus", 12, 60, 1.4, 2.2), ("Majoration nuit / dimanche", 1, 1, 40, 80),
         ("Gardiennage (par jour)", 1, 4, 12, 25), ("Treuillage / sortie de fossé", 1, 1, 60, 120)],
        "5221Z",
    ),
    "garage": InvoiceFamily(
        "garage", "repair",
        ["Garage {last}", "Garage du {place}", "{last} Automobiles", "Auto Services {city}"],
        ["Mécanique - Carrosserie - Peinture", "Réparateur agréé toutes marques",
         "Entretien - Diagnostic - Pneumatiques"],
        [("Main d'oeuvre mécanique (h)", 1, 4, 55, 78), ("Diagnostic électronique", 1, 1, 45, 70),
         ("Batterie 70Ah", 1, 1, 95, 150), ("Courroie d'accessoires", 1, 1, 28, 55),
         ("Alternateur échange standard", 1, 1, 180, 320), ("Liquide de refroidissement 5L", 1, 2,
                                                             12, 22),
         ("Plaquettes de frein AV", 1, 1, 38, 75)],
        "4520A",
    ),
    "hotel": InvoiceFamily(
        "hotel", "hotel",
        ["Hôtel {place}", "Hôtel Le {place}", "Hôtel des {plural}", "Logis Hôtel {last}"],
        ["Hôtel 3 étoiles - Restaurant", "Hôtel** - Parking privé",
         "Chambres d'hôtes - Séminaires"],
        [("Nuitée chambre double", 1, 3, 68, 115), ("Petit déjeuner", 1, 4, 9, 15)],
        "5510Z",
    ),
    "taxi": InvoiceFamily(
        "taxi", "taxi",
        ["Taxi {first} {last}", "Taxi {city} {last}", "Taxis du {place}"],
        ["Taxi conventionné CPAM - Toutes distances", "Taxi - Gares - Aéroports"],
        [("Course", 1, 1, 35, 180)],
        "4932Z",
    ),
    "ambulance": InvoiceFamily(
        "ambulance", "medical_transport",
        ["Ambulances {last}", "Ambulances du {place}", "{city} Ambulances"],
        ["Transports sanitaires agréés - Ambulance - VSL", "Ambulances - VSL - Taxis"],
        [("Forfait transport ambulance", 1, 1, 60, 95), ("Kilomètres en charge", 8, 70, 2.2, 2.8),
         ("Supplément nuit / férié", 1, 1, 25, 45)],
        "8690A",
    ),
    "loueur": InvoiceFamily(
        "loueur", "car_rental",
        ["Loc'Auto {city}", "{last} Location", "Rent {place}"],
        ["Location de véhicules courte durée", "Location VL - VU - Utilitaires"],
        [("Location véhicule cat. B (jour)", 2, 6, 38, 62), ("Assurance rachat franchise (jour)",
                                                             2, 6, 9, 16),
         ("Kilomètres supplémentaires", 0, 150, 0.25, 0.35)],
        "7711A",
    ),
}
PLACES = ["Pont", "Lac", "Moulin", "Château", "Centre", "Port", "Marché", "Parc", "Val", "Golfe"]
PLURALS = ["Voyageurs", "Tilleuls", "Remparts", "Arts", "Halles", "Pins"]


def provider(rng: random.Random, fam: InvoiceFamily, person_rng_last: str) -> Company:
    city = rng.choice(["Rennes", "Vannes", "Angers", "Tours", "Dijon", "Pau", "Metz"])
    pattern = rng.choice(fam.names)
    from samples.blind.ids import FIRST_NAMES_M, LAST_NAMES

    name = pattern.format(
        last=rng.choice([n for n in LAST_NAMES if n != person_rng_last]),
        first=rng.choice(FIRST_NAMES_M), place=rng.choice(PLACES), plural=rng.choice(PLURALS),
        city=city,
    )
    return company(rng, name)


def _ascii(text: str) -> str:
    """Invoice numbering software writes no accents: "Hôtel" gives "HOT"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def build_invoice(rng: random.Random, case: Case, family: str) -> Drawn:
    fam = FAMILIES[family]
    co = provider(rng, fam, case.person.last_name)
    small = family == "taxi" and rng.random() < 0.6
    s = Sheet(148, 210) if small else Sheet()
    W = s.width
    p = case.person
    to_assisteur = rng.random() < 0.45 and family in ("depanneur", "garage", "loueur", "ambulance")
    fields: dict[str, str] = {"supplier_name": co.name, "currency": "EUR",
                              "supplier_siren": co.siren}
    notes: list[str] = []
    inv_date = case.event_date + timedelta(days=rng.randint(0, 9))
    number = pick(rng, [
        f"F{inv_date.year}-{rng.randint(100, 9999):04d}",
        f"FA{inv_date:%y%m}{rng.randint(10, 999):03d}",
        f"{rng.randint(10000, 99999)}",
        f"{_ascii(co.name)[:3].upper().replace(' ', 'X')}-{rng.randint(1000, 99999)}",
    ]).replace("'", "")
    fields["invoice_number"] = number.upper()
    fields["invoice_date"] = inv_date.isoformat()
    date_style = pick(rng, ["slash", "slash", "long", "short", "dot"])

    # -- header: the supplier
    face = pick(rng, ["Sans", "Serif", "Cond"])
    bold = face + "-Bold"
    y = 18.0
    header_centered = family in ("hotel", "garage") and rng.random() < 0.6
    if header_centered:
        s.text(W / 2, y, co.name.upper() if rng.random() < 0.5 else co.name, bold, 17, "center")
        y = s.lines(W / 2, y + 6, [rng.choice(fam.tagline), f"{co.street} - {co.postcode} "
                                   f"{co.city} - Tél. {co.phone}"], face, 8.5, align="center")
    else:
        s.text(14, y, co.name, bold, 15)
        y = s.lines(14, y + 5.5, [rng.choice(fam.tagline), co.street, f"{co.postcode} {co.city}",
                                  f"{pick(rng, ['Tél.', 'Tel :', '☎'])} {co.phone}"], face, 8.5)
    # -- the addressee
    if to_assisteur:
        who = case.assisteur
        fields["customer_name"] = who
        addressee = [who.upper() if rng.random() < 0.5 else who,
                     pick(rng, ["Service Prestataires", "Pôle Règlements",
                                "Gestion des sinistres"]),
                     "TSA 40123", "92024 NANTERRE CEDEX"]
    else:
        style = pick(rng, ["upper", "last_first", "all_upper", "plain"])
        who = p.name(style)
        fields["customer_name"] = who
        civ = pick(rng, [p.short_civility + " ", p.civility + " ", ""])
        addressee = [civ + who, p.street, f"{p.postcode} {p.city.upper()}"]
    ay = max(y + 6, 46.0) if header_centered else 40.0
    ax = W * 0.55
    if rng.random() < 0.5:
        s.rect(ax - 3, ay - 6, W - ax - 9, len(addressee) * 4.6 + 5, width=0.3)
    if rng.random() < 0.4:
        s.text(ax, ay - 7.5, pick(rng, ["Facturé à :", "Client :", "Adresse de facturation"]),
               "Sans", 7, color=GRAY)
    s.lines(ax, ay, addressee, face, 9.5)
    y = max(y, ay + len(addressee) * 4.6) + 8

    # -- the invoice's own references
    title = pick(rng, ["FACTURE", "Facture", "FACTURE ACQUITTÉE", "NOTE D'HONORAIRES"
                       if family == "ambulance" else "FACTURE"])
    refs: list[tuple[str, str]] = []
    inline_number = rng.random() < 0.35
    if inline_number:
        s.text(14, y, f"{title} N° {number}", bold, 14)
    else:
        s.text(14, y, title, bold, 16)
        refs.append((pick(rng, INVOICE_NUMBER_LABELS).rstrip(" :"), number))
    y += 9
    refs.append((pick(rng, INVOICE_DATE_LABELS), fr_date(inv_date, date_style)))
    if rng.random() < 0.5:
        refs.append((pick(rng, ["Échéance", "Date d'échéance", "À régler avant le"]),
                     fr_date(inv_date + timedelta(days=30), date_style)))
    refs.append((pick(rng, DOSSIER_LABELS), case.dossier_id))
    fields["dossier_reference"] = case.dossier_id
    if rng.random() < 0.35:
        refs.append((pick(rng, POLICY_LABELS), case.policy_number))
        fields["policy_number"] = case.policy_number
    if rng.random() < 0.4:
        refs.append((pick(rng, ["N° client", "Code client", "Compte client"]),
                     f"C{rng.randint(1000, 99999)}"))
    if family in ("depanneur", "garage", "loueur") or rng.random() < 0.2:
        label = pick(rng, PLATE_LABELS)
        if family == "loueur":
            label = pick(rng, ["Véhicule assuré immobilisé", "Immat. véhicule sinistré"])
        refs.append((label, printed_plate(rng, case.plate)))
        fields["vehicle_registration"] = case.plate
    style = pick(rng, ["colon", "tab", "above", "grid"])
    if style == "grid" and len(refs) > 5:
        style = "tab"
    if style == "above" and len(refs) > 3:
        left_end = kv(s, rng, 14, y, refs[:3], "above")
        right_end = kv(s, rng, W / 2, y, refs[3:], "above")
        y = max(left_end, right_end) + 2
    else:
        y = kv(s, rng, 14, y, refs, style, width=W - 28) + 3

    # -- family blocks with their distracting dates and numbers
    if family == "garage":
        first_reg = date(rng.randint(2008, 2022), rng.randint(1, 12), rng.randint(1, 28))
        s.rect(12, y - 4, W - 24, 15, width=0.3)
        s.text(15, y, f"Véhicule : {pick(rng, ['Renault Clio IV', 'Peugeot 308', 'Citroën C3'])}"
               f"   Kilométrage : {rng.randint(20, 240)} {rng.randint(100, 999)} km", face, 8.5)
        s.text(15, y + 5, f"1re mise en circulation : {fr_date(first_reg, 'slash')}   "
               f"VIN : VF1{rng.randint(10**13, 10**14 - 1)}", face, 8.5)
        s.text(15, y + 9.5, f"Ordre de réparation n° OR{rng.randint(10000, 99999)} du "
               f"{fr_date(case.event_date, 'slash')}", face, 8.5)
        notes.append("first registration date and repair order beside the invoice's own")
        y += 17
    if family == "hotel":
        nights = rng.randint(1, 3)
        s.text(14, y, f"Arrivée le {fr_date(case.event_date, 'slash')}  -  Départ le "
               f"{fr_date(case.event_date + timedelta(days=nights), 'slash')}  -  Chambre "
               f"{rng.randint(1, 4)}{rng.randint(1, 30):02d}", face, 9)
        y += 7
    if family in ("taxi", "ambulance"):
        s.text(14, y, f"Trajet : {case.person.city} → {pick(rng, ['CHU', 'Gare SNCF', 'Garage'])} "
               f"{pick(rng, ['Rennes', 'Nantes', 'Angers'])} - le "
               f"{fr_date(case.event_date, 'slash')} à {rng.randint(7, 22)}h"
               f"{rng.randint(0, 59):02d}",
               face, 9)
        y += 6
        if family == "ambulance":
            s.text(14, y, f"Patient transporté : {p.name('upper')} - né(e) le "
                   f"{fr_date(p.birth, 'slash')}", face, 9)
            notes.append("patient's date of birth on the invoice")
            y += 6
        if family == "taxi":
            s.text(14, y, f"Licence n° {rng.randint(1, 80)} - Commune de rattachement "
                   f"{case.person.city} - Tarif {pick(rng, ['A', 'B', 'C', 'D'])}", face, 8)
            y += 6
    if family == "loueur":
        days = rng.randint(2, 6)
        s.text(14, y, f"Contrat de location LC{rng.randint(100000, 999999)} - du "
               f"{fr_date(case.event_date, 'slash')} au "
               f"{fr_date(case.event_date + timedelta(days=days), 'slash')}", face, 9)
        from samples.blind.ids import plate as new_plate

        s.text(14, y + 5, f"Véhicule loué : Peugeot 208 - {new_plate(rng)}", face, 9)
        notes.append("the rented car's plate beside the insured vehicle's")
        y += 11

    # -- lines
    rows: list[tuple[str, Decimal, Decimal, Decimal]] = []
    rate = Decimal("10") if family in ("hotel", "taxi") else Decimal("20")
    if family == "ambulance":
        rate = Decimal("0")
    catalog = list(fam.items)
    rng.shuffle(catalog)
    n_lines = rng.randint(min(2, len(catalog)), min(4, len(catalog)))
    for desc, qlo, qhi, plo, phi in catalog[:n_lines]:
        qty = Decimal(rng.randint(int(qlo), int(qhi))) if qhi > 1 else Decimal(1)
        rows.append((desc, qty, money(rng.uniform(plo, phi)), rate))
    if family == "hotel":
        if rng.random() < 0.6:
            rows.append(("Parking", Decimal(1), money(rng.uniform(8, 15)), Decimal(20)))
        tax_stay = money(rng.uniform(0.9, 2.5))
    items_face = pick(rng, ["Sans", "Cond", "Mono"])
    y = items_table(s, rng, 12, y + 2, W - 24, rows, family == "hotel" or rng.random() < 0.3,
                    items_face)
    bases = vat_breakdown(rows)
    total_ht = sum(bases.values(), Decimal(0))
    vats = {r: money(b * r / 100) for r, b in bases.items()}
    vat_total = sum(vats.values(), Decimal(0))
    extra_untaxed = Decimal(0)
    if family == "hotel":
        nights_qty = next((q for d, q, _, _ in rows if d.startswith("Nuitée")), Decimal(1))
        extra_untaxed = money(tax_stay * nights_qty * 2)
        s.text(14, y, f"Taxe de séjour ({fr_amount(tax_stay)} x {nights_qty} nuit(s) x 2 pers.) "
               f"- non soumise à TVA", items_face, 8.5)
        s.text(W - 13, y, fr_amount(extra_untaxed), items_face, 8.8, "right")
        y += 7
    ttc = total_ht + vat_total + extra_untaxed

    # -- totals
    tx = W - 13
    lx = W * 0.52
    if family == "ambulance":
        ttc_label = pick(rng, ["Montant total", "Net à payer", "Total à régler"])
        s.text(lx, y + 4, ttc_label, bold, 10.5)
        s.text(tx, y + 4, f"{fr_amount(ttc)} €", bold, 10.5, "right")
        s.text(14, y + 12, pick(rng, ["TVA non applicable - article 261-4-1° bis du CGI",
                                      "Exonération de TVA, art. 261 4 du CGI"]), face, 8)
        fields["total_incl_tax"] = str(ttc)
        y += 20
    else:
        fields["total_excl_tax"] = str(total_ht)
        fields["vat_amount"] = str(vat_total)
        fields["total_incl_tax"] = str(ttc)
        tstyle = pick(rng, ["stack", "stack", "boxed", "row", "vat_table"])
        if len(vats) > 1 and tstyle in ("stack", "boxed"):
            tstyle = "vat_table"
        euro = pick(rng, [" €", " €", " EUR", ""])
        ht_label = pick(rng, TOTAL_HT_LABELS)
        ttc_label = pick(rng, TTC_LABELS)
        only_rate = next(iter(vats)) if len(vats) == 1 else None
        vat_label = pick(rng, [f"TVA {only_rate:g} %", f"T.V.A. ({only_rate:g}%)",
                               "Montant TVA", f"TVA {only_rate:g}%"]).replace(".", ",") \
            if only_rate is not None else "Total TVA"
        if family == "hotel" and tstyle != "vat_table":
            tstyle = "vat_table"
        if tstyle in ("stack", "boxed"):
            rows3 = [(ht_label, total_ht), (vat_label, vat_total), (ttc_label, ttc)]
            if tstyle == "boxed":
                s.rect(lx - 3, y - 5, tx - lx + 5, 20, width=0.5)
            for i, (label, amount) in enumerate(rows3):
                f = bold if i == 2 else face
                s.text(lx, y, label, f, 10)
                s.text(tx, y, fr_amount(amount) + euro, f, 10, "right")
                y += 6
            y += 4
        elif tstyle == "row":
            y = kv(s, rng, 12, y + 4, [(ht_label, fr_amount(total_ht) + euro),
                                       (vat_label, fr_amount(vat_total) + euro),
                                       (ttc_label, fr_amount(ttc) + euro)], "grid",
                   width=W - 24) + 2
        else:
            s.text(14, y, "Base HT", face + "-Bold" if face != "Serif" else "Serif-Bold", 8.5)
            s.text(45, y, "Taux", face, 8.5)
            s.text(75, y, "Montant TVA", face, 8.5)
            yy = y + 5
            for r in sorted(bases):
                s.text(14, yy, fr_amount(bases[r]), face, 8.5)
                s.text(45, yy, f"{r:g} %".replace(".", ","), face, 8.5)
                s.text(75, yy, fr_amount(vats[r]), face, 8.5)
                yy += 4.5
            s.text(lx + 10, y, ht_label, face, 9.5)
            s.text(tx, y, fr_amount(total_ht), face, 9.5, "right")
            s.text(lx + 10, y + 5, "Total TVA", face, 9.5)
            s.text(tx, y + 5, fr_amount(vat_total), face, 9.5, "right")
            if extra_untaxed:
                s.text(lx + 10, y + 10, "Taxe de séjour", face, 9.5)
                s.text(tx, y + 10, fr_amount(extra_untaxed), face, 9.5, "right")
                y += 5
            s.text(lx + 10, y + 11, ttc_label, bold, 10.5)
            s.text(tx, y + 11, fr_amount(ttc) + euro, bold, 10.5, "right")
            y = max(yy, y + 16) + 3
        if family == "hotel" and rng.random() < 0.7:
            s.text(lx + 10, y, pick(rng, ["Acompte versé", "Déjà réglé"]), face, 9)
            s.text(tx, y, fr_amount(ttc), face, 9, "right")
            s.text(lx + 10, y + 5, "Solde dû", face, 9)
            s.text(tx, y + 5, "0,00", face, 9, "right")
            notes.append("a paid deposit and a zero balance under the total")
            y += 11
    s.text(14, y + 3, pick(rng, [
        "Règlement : à réception de facture, par virement ou chèque.",
        "Conditions de règlement : 30 jours fin de mois.",
        "Facture acquittée le " + fr_date(inv_date, "slash") + " par carte bancaire.",
        "Mode de paiement : prise en charge " + case.assisteur + ".",
    ]), face, 8.5)
    show_iban = rng.random() < 0.6
    show_siret = rng.random() < 0.7
    show_vat = family != "ambulance" and rng.random() < 0.85
    if show_iban:
        fields["iban"] = co.account.iban
    if show_siret:
        fields["supplier_siret"] = co.siret
    if show_vat:
        fields["supplier_vat_number"] = co.vat
    if rng.random() < 0.3 and not small:
        s.stamp(W * 0.12, y + 12, [co.name.upper(), f"{co.postcode} {co.city.upper()}",
                                   f"SIRET {co.siret}" if show_siret else f"Tél. {co.phone}"],
                angle=rng.uniform(-8, 8))
        s.scribble(rng, W * 0.15, y + 18, 28, 9)
    legal_footer(s, rng, co, s.height - 16, show_siret, show_iban, show_vat, fam.ape)
    return Drawn("invoice", family, fields, s.finish(), s.pages, case.dossier_id, co,
                 fam.service, notes)
