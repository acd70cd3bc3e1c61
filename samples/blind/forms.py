"""Receipts, medical certificates and RIBs, as French tills, doctors and banks print them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from samples.blind.ids import (
    LAST_NAMES,
    STREETS,
    Person,
    account,
    adeli,
    fr_amount,
    fr_date,
    groups_of_four,
    money,
    person,
    rpps,
    siren,
    siret,
)
from samples.blind.layouts import GRAY, Case, Drawn, kv, pick
from samples.blind.sheet import Sheet

# -- receipts -------------------------------------------------------------------------------

PHARMA_ITEMS = [("DOLIPRANE 1000MG CPR B/8", 2.18), ("SPASFON LYOC 80MG", 4.35),
                ("BISEPTINE SOL 250ML", 4.90), ("COMPRESSES STERILES 10X10", 3.20),
                ("SERUM PHYSIO 30 UNIDOSES", 3.95), ("BANDE CREPE 10CM", 2.60),
                ("ARNICA GEL 50G", 6.90), ("THERMOMETRE FLEXIBLE", 7.50),
                ("IBUPROFENE 400MG CPR", 2.95), ("SPARADRAP MICROPORE", 3.40)]
SHOP_ITEMS = [("EAU MINERALE 6X1.5L", 3.29), ("SANDWICH JAMBON BEURRE", 4.50),
              ("CAFE GOBELET", 1.80), ("CHARGEUR USB VOITURE", 12.90),
              ("LAVE-GLACE ETE 5L", 5.95), ("BISCUITS PETIT BEURRE", 1.45),
              ("AMPOULE H7 12V", 9.90), ("PARAPLUIE PLIANT", 8.00), ("JOURNAL OUEST", 1.50)]
FUEL = [("GAZOLE", 1.72, 1.89), ("SP95-E10", 1.78, 1.95), ("SP98", 1.86, 2.02)]
PAYMENT_WORDS = {
    "card": ["CB", "CARTE BANCAIRE", "CB SANS CONTACT", "Carte bleue", "CB EMV"],
    "cash": ["ESPECES", "Espèces", "ESP."],
    "cheque": ["CHEQUE", "Chèque"],
}


def _merchant(rng: random.Random, kind: str, city: str) -> str:
    last = rng.choice(LAST_NAMES).upper()
    if kind == "pharmacie":
        quarter = pick(rng, ["MARCHE", "CENTRE", "PORT", "LAC"])
        return pick(rng, [f"PHARMACIE {last}", f"PHARMACIE DU {quarter}",
                          f"Pharmacie de la {pick(rng, ['Gare', 'Mairie', 'Poste'])}",
                          f"GRANDE PHARMACIE DE {city.upper()}"])
    if kind == "station":
        return pick(rng, [f"RELAIS {city.upper()} NORD", f"STATION {last}",
                          f"AIRE DE {pick(rng, ['LA BRIE', 'BEAUCE', 'VALLEE'])}"])
    return pick(rng, [f"PROXI {city.upper()}", f"SUPERETTE {last}", f"CARREFOUR CONTACT {last}",
                      f"U EXPRESS {city.upper()}", f"Epicerie {last.title()}"])


def build_receipt(rng: random.Random, case: Case, family: str) -> Drawn:
    """A till receipt (pharmacy, shop, fuel) or a card terminal's slip, 80 mm wide."""
    city = case.person.city if rng.random() < 0.6 else pick(rng, ["Vierzon", "Beaune", "Niort"])
    kind = {"pharmacie": "pharmacie", "caisse": "shop", "station": "station",
            "tpe": rng.choice(["pharmacie", "shop", "station"])}[family]
    merchant = _merchant(rng, kind, city)
    when = case.event_date + timedelta(days=rng.randint(0, 3))
    hour = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    method = pick(rng, ["card", "card", "card", "cash", "cheque"] if family != "tpe" else ["card"])
    lines: list[tuple[str, Decimal]] = []
    if kind == "station":
        name, lo, hi = rng.choice(FUEL)
        litres = Decimal(str(round(rng.uniform(18, 55), 2)))
        price = Decimal(str(round(rng.uniform(lo, hi), 3)))
        lines.append((f"{name} {str(litres).replace('.', ',')} L x {str(price).replace('.', ',')}",
                      money(litres * price)))
        if rng.random() < 0.5:
            extra, extra_price = rng.choice(SHOP_ITEMS)
            lines.append((extra, money(extra_price)))
    else:
        catalog = PHARMA_ITEMS if kind == "pharmacie" else SHOP_ITEMS
        for name, unit in rng.sample(catalog, rng.randint(2, 5)):
            qty = rng.choice([1, 1, 1, 2])
            lines.append((f"{qty} x {name}" if qty > 1 else name, money(Decimal(str(unit)) * qty)))
    total = sum((a for _, a in lines), Decimal(0))
    height = 100 + 5 * len(lines) if family != "tpe" else 112
    s = Sheet(80, height)
    face = pick(rng, ["Mono", "Mono", "Cond"])
    y = 8.0
    fields = {"merchant_name": merchant, "receipt_date": when.isoformat(),
              "total_incl_tax": str(total), "currency": "EUR", "payment_method": method}
    cx = 40
    street = f"{rng.randint(1, 80)} {rng.choice(STREETS)}"
    if family == "tpe":
        s.text(cx, y, pick(rng, ["CARTE BANCAIRE", "CB", "VISA"]), face, 9, "center")
        s.text(cx, y + 4.5, pick(rng, ["SANS CONTACT", "EMV", "CONTACTLESS"]), face, 8, "center")
        s.text(cx, y + 9, f"A000000{rng.randint(10**7, 10**8 - 1)}", face, 8, "center")
        s.text(cx, y + 13.5, f"CB {rng.randint(1000, 9999)}", face, 8, "center")
        y += 20
        date_style = pick(rng, ["short", "slash"])
        s.text(cx, y, f"LE {fr_date(when, date_style)} A {hour}:{rng.randint(10, 59)}", face, 8.5,
               "center")
        y += 5
        y = s.lines(cx, y, [merchant, city.upper(), f"{rng.randint(10**6, 10**7 - 1)}",
                            f"{rng.randint(1000000, 9999999)} {rng.randint(10, 99)}"], face, 8.5,
                    align="center")
        y += 2
        s.text(cx, y, "############" + str(rng.randint(1000, 9999)), face, 8.5, "center")
        s.text(cx, y + 4.5, f"{rng.randint(10**9, 10**10 - 1)}", face, 8, "center")
        y += 12
        s.text(cx, y, "MONTANT :" if rng.random() < 0.5 else "MONTANT =", face, 9.5, "center")
        s.text(cx, y + 6, f"{fr_amount(total)} EUR", face + "-Bold" if face == "Mono" else face,
               13, "center")
        y += 14
        s.lines(cx, y, ["DEBIT", "TICKET CLIENT", "A CONSERVER"], face, 8.5, align="center")
        return Drawn("receipt", family, fields, s.finish(), s.pages, case.dossier_id)
    big = face + "-Bold" if face == "Mono" else "Cond-Bold"
    s.text(cx, y, merchant.upper() if rng.random() < 0.6 else merchant, big, 10.5, "center")
    postcode = case.person.postcode if city == case.person.city else "18100"
    y = s.lines(cx, y + 5, [street, f"{postcode}"
                            f" {city.upper()}", f"Tél. 0{rng.randint(1, 5)} {rng.randint(10, 99)} "
                            f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"],
                face, 8, align="center")
    if rng.random() < 0.6:
        sn = siren(rng)
        s.text(cx, y, f"SIRET {siret(rng, sn)}", face, 7.5, "center")
        y += 4
    y += 2
    date_style = pick(rng, ["slash", "short", "dash"])
    top_date = rng.random() < 0.5
    ticket_line = f"Ticket {rng.randint(1000, 99999)}  Caisse {rng.randint(1, 6)}"
    if top_date:
        s.text(6, y, f"{fr_date(when, date_style)} {hour}", face, 8)
        s.text(74, y, f"Vend. {rng.randint(1, 9)}", face, 8, "right")
        y += 4.5
    s.text(6, y, ticket_line, face, 8)
    y += 6
    s.hline(4, 76, y - 3, 0.3, dash=True)
    for name, amount in lines:
        label = name if len(name) < 30 else name[:29]
        s.text(5, y, label, face, 7.8)
        s.text(75, y, fr_amount(amount), face, 7.8, "right")
        y += 4.6
    s.hline(4, 76, y - 2, 0.3, dash=True)
    y += 3
    n = sum(int(nm.split(" x ")[0]) if " x " in nm and nm.split(" x ")[0].isdigit() else 1
            for nm, _ in lines)
    if rng.random() < 0.5:
        s.text(5, y, f"{n} article(s)", face, 7.8)
        y += 5
    total_label = pick(rng, ["TOTAL", "TOTAL TTC", "A PAYER", "TOTAL EUR", "Net à payer"])
    s.text(5, y, total_label, big, 10)
    s.text(75, y, fr_amount(total) + pick(rng, ["", " €", " EUR"]), big, 10, "right")
    y += 6
    pay = pick(rng, PAYMENT_WORDS[method])
    given = total
    if method == "cash":
        given = money(total + Decimal(rng.choice([0.5, 2, 5, 10])))
    s.text(5, y, pay, face, 8.5)
    s.text(75, y, fr_amount(given), face, 8.5, "right")
    y += 4.6
    if method == "cash":
        s.text(5, y, pick(rng, ["RENDU", "Rendu monnaie", "A RENDRE"]), face, 8.5)
        s.text(75, y, fr_amount(given - total), face, 8.5, "right")
        y += 4.6
    y += 2
    rate = Decimal("5.5") if kind == "shop" and rng.random() < 0.5 else Decimal("20")
    if kind == "pharmacie":
        rate = Decimal("2.1") if rng.random() < 0.5 else Decimal("10")
    ht = money(total / (1 + rate / 100))
    rate_s = str(rate).replace(".", ",")
    s.text(5, y, f"TVA {rate_s}%  HT {fr_amount(ht)}  TVA {fr_amount(total - ht)}",
           face, 7.2)
    y += 6
    if not top_date:
        s.text(cx, y, f"{fr_date(when, date_style)}  {hour}", face, 8, "center")
        y += 5
    if kind == "pharmacie" and rng.random() < 0.6:
        s.text(cx, y, "Pensez à votre carte Vitale", face, 7.5, "center")
        y += 4.5
    s.text(cx, y, pick(rng, ["MERCI DE VOTRE VISITE", "A BIENTOT", "Merci et bonne route !"]),
           face, 8, "center")
    return Drawn("receipt", family, fields, s.finish(), s.pages, case.dossier_id)


# -- medical certificates -------------------------------------------------------------------


def _doctor(rng: random.Random) -> tuple[Person, str, str]:
    doc = person(rng, date(2026, 1, 1))
    use_rpps = rng.random() < 0.7
    ident = rpps(rng) if use_rpps else adeli(rng, rng.choice(["35", "49", "37", "21", "29"]))
    printed = ident if use_rpps or rng.random() < 0.5 else f"{ident[:2]} {ident[2]} {ident[3:8]} " \
        f"{ident[8]}"
    return doc, ident, ("RPPS " if use_rpps else "ADELI ") + printed


def build_certificate(rng: random.Random, case: Case, family: str) -> Drawn:
    if family == "arret_cerfa":
        return _cerfa(rng, case)
    doc, ident, printed_id = _doctor(rng)
    p = case.person
    s = Sheet()
    W = s.width
    doc_name = doc.name(pick(rng, ["upper", "plain"]))
    fields = {"practitioner_name": doc_name, "practitioner_id": ident}
    issue = case.event_date + timedelta(days=rng.randint(0, 2))
    start = issue if rng.random() < 0.7 else issue + timedelta(days=1)
    end = start + timedelta(days=rng.randint(3, 21))
    city = doc.city
    face = pick(rng, ["Serif", "Sans"])
    if family == "urgences":
        s.text(14, 18, f"CENTRE HOSPITALIER DE {city.upper()}", face + "-Bold", 13)
        s.lines(14, 24, ["Pôle Urgences - SAMU - SMUR", f"{doc.street}, {doc.postcode} {city}",
                         "Secrétariat : 0" + f"{rng.randint(1, 5)} 99 {rng.randint(10, 99)} 00 00"],
                face, 8.5)
        s.text(W - 14, 18, f"Dr {doc_name}", face + "-Bold", 10, "right")
        s.text(W - 14, 23, "Praticien hospitalier", face, 8.5, "right")
        s.text(W - 14, 27.5, printed_id, face, 8.5, "right")
        s.text(W / 2, 48, pick(rng, ["CERTIFICAT MÉDICAL INITIAL", "CERTIFICAT MEDICAL",
                                     "Certificat médical de constatation"]), face + "-Bold", 14,
               "center")
        y = 60.0
        name_style = pick(rng, ["upper", "last_first"])
        patient = p.name(name_style)
        fields["patient_name"] = patient
        if name_style == "last_first":
            rows = [("Nom", p.last_name.upper()), ("Prénom", p.first_name)]
            fields["patient_name"] = f"{p.first_name} {p.last_name.upper()}"
        else:
            rows = [("Patient", patient)]
        rows += [(pick(rng, ["Né(e) le", "Date de naissance", "DDN"]), fr_date(p.birth, "slash")),
                 ("Admis(e) le", f"{fr_date(case.event_date, 'slash')} à {rng.randint(0, 23)}h"
                                 f"{rng.randint(0, 59):02d}"),
                 ("N° de séjour", str(rng.randint(10**8, 10**9 - 1)))]
        y = kv(s, rng, 18, y, rows, pick(rng, ["tab", "colon"]), 10) + 6
        body = (f"Je soussigné(e), Docteur {doc_name}, certifie avoir examiné ce jour le (la) "
                f"patient(e) susnommé(e), qui déclare avoir été victime d'un accident de la voie "
                f"publique le {fr_date(case.event_date, 'long')}. L'examen clinique retrouve des "
                f"contusions multiples et une entorse du rachis cervical.")
        y = s.paragraph(18, y, W - 36, body, face, 10.5) + 4
        y = s.paragraph(18, y, W - 36, (
            f"Incapacité totale de travail (ITT) : {(end - start).days + 1} jours, sauf "
            f"complications. Arrêt de travail du {fr_date(start, 'slash')} au "
            f"{fr_date(end, 'slash')} inclus."), face, 10.5) + 6
    else:  # "libre": the doctor's own letterhead
        left = rng.random() < 0.6
        x = 14 if left else W / 2
        al = "left" if left else "center"
        head = [f"Docteur {doc_name}" if rng.random() < 0.6 else f"Dr {doc_name}",
                pick(rng, ["Médecine générale", "Médecin généraliste", "Ancien interne des "
                           "hôpitaux - Médecine générale"]),
                pick(rng, ["Conventionné secteur 1", "Conventionné secteur 2", ""]),
                f"{doc.street}", f"{doc.postcode} {city}", f"Tél. 0{rng.randint(1, 5)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 12",
                printed_id if rng.random() < 0.8 else f"N° {printed_id}"]
        s.text(x, 18, head[0], face + "-Bold", 12, al)
        s.lines(x, 23.5, [h for h in head[1:] if h], face, 9, align=al)
        if rng.random() < 0.5:
            s.text(W - 14, 62, f"{city}, le {fr_date(issue, pick(rng, ['long', 'slash']))}", face,
                   10, "right")
            dated_top = True
        else:
            dated_top = False
        s.text(W / 2, 78, pick(rng, ["CERTIFICAT MÉDICAL", "Certificat médical",
                                     "CERTIFICAT D'ARRÊT DE TRAVAIL"]), face + "-Bold", 14,
               "center")
        civ = pick(rng, [p.civility, p.short_civility, p.civility])
        style = pick(rng, ["upper", "all_upper", "plain"])
        patient = p.name(style)
        fields["patient_name"] = patient
        born = pick(rng, ["né(e) le", "né le" if p.civility == "Monsieur" else "née le"])
        body = (f"Je soussigné(e), Docteur {doc_name}, certifie avoir examiné ce jour {civ} "
                f"{patient}, {born} {fr_date(p.birth, pick(rng, ['slash', 'long']))}, "
                f"demeurant {p.street} à {p.city}.")
        y = s.paragraph(20, 95, W - 40, body, face, 11) + 4
        days = (end - start).days + 1
        arrest = pick(rng, [
            f"Son état de santé nécessite un arrêt de travail de {days} jours, du "
            f"{fr_date(start, 'slash')} au {fr_date(end, 'slash')} inclus.",
            f"L'état de santé du patient justifie un repos de {days} jours à compter du "
            f"{fr_date(start, 'long')}, soit jusqu'au {fr_date(end, 'long')} inclus.",
            f"Arrêt de travail du {fr_date(start, 'long')} au {fr_date(end, 'long')}.",
        ])
        y = s.paragraph(20, y, W - 40, arrest, face, 11) + 4
        if rng.random() < 0.5:
            y = s.paragraph(20, y, W - 40, (
                f"Certificat établi à la demande de l'intéressé(e) pour servir auprès de "
                f"{case.assisteur}, dossier n° {case.dossier_id}."), face, 11) + 4
            fields["dossier_reference"] = case.dossier_id
        y = s.paragraph(20, y, W - 40, "Certificat remis en main propre pour faire valoir ce que "
                        "de droit.", face, 11) + 8
        if not dated_top:
            s.text(W - 20, y, f"Fait à {city}, le {fr_date(issue, pick(rng, ['slash', 'long']))}",
                   face, 10.5, "right")
            y += 8
    if family == "urgences":
        s.text(W - 20, y, f"{city}, le {fr_date(issue, 'slash')}", face, 10.5, "right")
        y += 8
    fields.update(issue_date=issue.isoformat(), incapacity_start=start.isoformat(),
                  incapacity_end=end.isoformat())
    s.scribble(rng, W - 75, y + 2, 40, 14)
    s.stamp(W - 92, y + 14, [f"Dr {doc.last_name.upper()} {doc.first_name}",
                             "Médecine générale" if family == "libre" else "Urgences",
                             printed_id.split(" ", 1)[1] if rng.random() < 0.5 else printed_id],
            angle=rng.uniform(-10, 6))
    return Drawn("medical_certificate", family, fields, s.finish(), s.pages, case.dossier_id,
                 notes=["patient's date of birth beside the event dates"])


def _cerfa(rng: random.Random, case: Case) -> Drawn:
    """The avis d'arrêt de travail's employer copy: framed sections, digit boxes, hand-filled."""
    doc, ident, _ = _doctor(rng)
    p = case.person
    s = Sheet()
    W = s.width
    by_hand = rng.random() < 0.5
    fill = (lambda x, y, t: s.handwriting(rng, x, y, t, 11.5)) if by_hand else \
        (lambda x, y, t: s.text(x, y, t, "Mono", 10))
    issue = case.event_date + timedelta(days=rng.randint(0, 2))
    start = issue
    end = start + timedelta(days=rng.randint(3, 15))
    s.text(14, 14, "cerfa", "Sans-Bold", 11)
    s.text(14, 18.5, "N° 10170*07", "Sans", 8)
    s.text(W / 2, 15, "avis d'arrêt de travail", "Sans-Bold", 15, "center")
    s.text(W / 2, 21, "volet 3 à adresser par l'assuré(e) à son employeur", "Sans", 8.5, "center")
    s.text(W - 14, 15, "Art. L.321-1 et R.321-2", "Sans", 7, "right")
    s.text(W - 14, 18.5, "du Code de la sécurité sociale", "Sans", 7, "right")
    # the insured person
    s.rect(12, 26, W - 24, 48, 0.6)
    s.rect(12, 26, W - 24, 6, 0.6, fill=0.85)
    s.c.setFillColorRGB(0, 0, 0)
    s.text(14, 30.5, "identification de l'assuré(e)", "Sans-Bold", 9)
    s.text(16, 39, "Nom Prénom", "Sans", 8, color=GRAY)
    patient = f"{p.last_name.upper()} {p.first_name}"
    fill(45, 39, patient)
    s.text(16, 47, "N° d'immatriculation", "Sans", 8, color=GRAY)
    nir = f"{1 if p.civility == 'Monsieur' else 2}{p.birth:%y%m}{rng.randint(10, 95)}" \
          f"{rng.randint(100, 999)}{rng.randint(100, 999)}"
    s.digit_boxes(55, 48, nir, 4.4, 9, rng=rng if by_hand else None)
    s.text(16, 57, "Né(e) le", "Sans", 8, color=GRAY)
    s.digit_boxes(35, 58, p.birth.strftime("%d%m%Y"), 4.4, 9, rng=rng if by_hand else None)
    s.text(16, 66, "Adresse", "Sans", 8, color=GRAY)
    fill(35, 66, f"{p.street}, {p.postcode} {p.city}")
    # the prescriber
    s.rect(12, 78, W - 24, 36, 0.6)
    s.rect(12, 78, W - 24, 6, 0.6, fill=0.85)
    s.c.setFillColorRGB(0, 0, 0)
    s.text(14, 82.5, "identification du praticien prescripteur", "Sans-Bold", 9)
    s.text(16, 91, "Nom Prénom", "Sans", 8, color=GRAY)
    doc_print = f"{doc.last_name.upper()} {doc.first_name}"
    s.text(45, 91, doc_print, "Mono", 10)  # the practitioner's software fills this in
    s.text(16, 99, "Identifiant", "Sans", 8, color=GRAY)
    s.digit_boxes(40, 100, ident, 4.4, 9)
    s.text(16, 108, "Raison sociale / adresse", "Sans", 8, color=GRAY)
    s.text(55, 108, f"Cabinet médical - {doc.street}, {doc.postcode} {doc.city}", "Mono", 8.5)
    # the stop
    s.rect(12, 118, W - 24, 50, 0.6)
    s.rect(12, 118, W - 24, 6, 0.6, fill=0.85)
    s.c.setFillColorRGB(0, 0, 0)
    s.text(14, 122.5, "arrêt de travail", "Sans-Bold", 9)
    initial = rng.random() < 0.75
    s.rect(16, 128, 3.5, 3.5, 0.4)
    s.rect(60, 128, 3.5, 3.5, 0.4)
    s.text(16.5 if initial else 60.5, 131, "X", "Sans-Bold", 9)
    s.text(21, 131, "initial", "Sans", 8.5)
    s.text(65, 131, "de prolongation", "Sans", 8.5)
    s.text(16, 141, "du", "Sans", 8.5)
    s.digit_boxes(24, 142, start.strftime("%d%m%Y"), 4.6, 10, rng=rng if by_hand else None)
    s.text(66, 141, "au", "Sans", 8.5)
    s.digit_boxes(74, 142, end.strftime("%d%m%Y"), 4.6, 10, rng=rng if by_hand else None)
    s.text(115, 141, "inclus", "Sans", 8.5)
    s.text(16, 151, "sorties autorisées : ☐ oui  ☐ non  - à partir du", "Sans", 8)
    s.text(16, 160, "en cas d'accident causé par un tiers, date de l'accident", "Sans", 8)
    s.digit_boxes(100, 161, case.event_date.strftime("%d%m%Y"), 4.4, 9)
    # signature
    s.text(16, 180, "Fait le", "Sans", 8.5)
    s.digit_boxes(32, 181, issue.strftime("%d%m%Y"), 4.6, 10, rng=rng if by_hand else None)
    s.text(110, 180, "Signature du médecin", "Sans", 8.5)
    s.scribble(rng, 120, 184, 40, 14)
    s.text(14, 280, "La loi n° 78-17 du 6 janvier 1978 modifiée relative à l'informatique, aux "
           "fichiers et aux libertés s'applique aux réponses faites sur ce formulaire.",
           "Sans", 6.5, color=GRAY)
    fields = {"practitioner_name": doc_print, "practitioner_id": ident, "patient_name": patient,
              "issue_date": issue.isoformat(), "incapacity_start": start.isoformat(),
              "incapacity_end": end.isoformat()}
    notes = ["dates in one-digit boxes", "date of birth and accident date in boxes too"]
    if by_hand:
        notes.append("filled in by hand")
    return Drawn("medical_certificate", "arret_cerfa", fields, s.finish(), s.pages,
                 case.dossier_id, notes=notes)


# -- RIBs -----------------------------------------------------------------------------------


def build_rib(rng: random.Random, case: Case, family: str) -> Drawn:
    p = case.person
    a = account(rng)
    s = Sheet()
    W = s.width
    style = pick(rng, ["upper", "all_upper", "plain"])
    holder = p.name(style)
    civ = pick(rng, ["M. " if p.civility == "Monsieur" else "MME ", p.short_civility + " ", ""])
    joint = rng.random() < 0.2
    printed_holder = f"{civ}{holder}"
    if joint:
        printed_holder = f"M. OU MME {holder}"
    fields = {"account_holder": holder, "iban": a.iban, "bic": a.bic}
    iban_print = groups_of_four(a.iban)
    domiciliation = f"{a.bank_name.split(' - ')[0]} {a.branch_city.upper()}"
    if family == "grille":
        s.text(14, 18, a.bank_name, "Sans-Bold", 14)
        s.text(W - 14, 18, pick(rng, ["RELEVÉ D'IDENTITÉ BANCAIRE", "Relevé d'Identité Bancaire",
                                      "RIB"]), "Sans-Bold", 12, "right")
        s.paragraph(14, 30, W - 28, "Ce relevé est destiné à être remis, sur leur demande, à vos "
                    "créanciers ou débiteurs appelés à faire inscrire des opérations à votre "
                    "compte (virements, paiements de quittances, etc.). Son utilisation vous "
                    "garantit le bon enregistrement des opérations en cause.", "Sans", 8)
        y = 48.0
        s.rect(12, y, 88, 30, 0.5)
        s.text(14, y + 4.5, pick(rng, ["Titulaire du compte", "TITULAIRE DU COMPTE",
                                       "Intitulé du compte"]), "Sans", 7.5, color=GRAY)
        s.lines(16, y + 11, [printed_holder, p.street, f"{p.postcode} {p.city.upper()}"],
                "Sans-Bold" if rng.random() < 0.5 else "Sans", 10)
        s.rect(106, y, W - 118, 30, 0.5)
        s.text(108, y + 4.5, pick(rng, ["Domiciliation", "DOMICILIATION", "Agence"]), "Sans", 7.5,
               color=GRAY)
        s.lines(110, y + 11, [domiciliation, f"{rng.randint(1, 40)} {rng.choice(STREETS)}",
                              f"Tél. 09 69 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                              f"{rng.randint(10, 99)}"], "Sans", 9)
        y += 38
        heads = ["Code banque", "Code guichet", "N° de compte", "Clé RIB"]
        if rng.random() < 0.4:
            heads = ["Banque", "Guichet", "Numéro de compte", "Clé"]
        vals = [a.bank_code, a.branch_code, a.account_number, a.key]
        widths = [30, 30, 60, 20]
        x = 12.0
        for head, val, w in zip(heads, vals, widths, strict=True):
            s.rect(x, y, w, 14, 0.5)
            s.rect(x, y, w, 5.5, 0.5, fill=0.9)
            s.c.setFillColorRGB(0, 0, 0)
            s.text(x + w / 2, y + 4, head, "Sans", 7.5, "center")
            s.text(x + w / 2, y + 11.5, val, "Mono", 10.5, "center")
            x += w
        y += 22
        s.rect(12, y, W - 24, 20, 0.5)
        s.text(14, y + 5, "IBAN (International Bank Account Number)", "Sans", 7.5, color=GRAY)
        s.text(14, y + 13, iban_print, "Mono-Bold", 12)
        s.text(140, y + 5, "BIC (Bank Identifier Code)", "Sans", 7.5, color=GRAY)
        s.text(140, y + 13, a.bic, "Mono-Bold", 12)
    elif family == "en_ligne":
        s.text(14, 18, a.bank_name.title(), "Sans-Bold", 13)
        s.text(14, 26, pick(rng, ["Vos coordonnées bancaires", "Coordonnées bancaires (RIB)",
                                  "Relevé d'identité bancaire"]), "Sans", 11)
        s.text(W - 14, 26, f"Édité le {fr_date(case.event_date + timedelta(days=3), 'slash')}",
               "Sans", 8, "right")
        s.hline(12, W - 12, 30, 0.8)
        y = kv(s, rng, 14, 40, [
            (pick(rng, ["Titulaire", "Titulaire du compte", "Nom du titulaire"]), printed_holder),
            ("Adresse", f"{p.street} {p.postcode} {p.city}"),
            (pick(rng, ["Banque", "Domiciliation", "Établissement"]), domiciliation),
            ("Type de compte", pick(rng, ["Compte courant", "Compte de dépôt", "Compte joint"])),
            (pick(rng, ["IBAN", "Identifiant international (IBAN)"]), iban_print),
            (pick(rng, ["BIC", "BIC / SWIFT", "Code BIC"]), a.bic),
        ], pick(rng, ["tab", "colon", "above"]), 10) + 8
        s.text(14, y, "Identifiant national de compte bancaire - RIB", "Sans", 7.5, color=GRAY)
        s.text(14, y + 5, f"{a.bank_code}  {a.branch_code}  {a.account_number}  {a.key}",
               "Mono", 9.5)
    elif family == "guichet":
        # the tear-off RIB slips of a cheque book: three identical little RIBs on one page
        for k in range(3):
            top = 14 + k * 72
            s.rect(14, top, W - 28, 62, 0.5)
            s.text(18, top + 6, "RELEVÉ D'IDENTITÉ BANCAIRE", "Sans-Bold", 9)
            s.text(W - 18, top + 6, a.bank_name, "Sans-Bold", 8, "right")
            s.text(18, top + 14, "Titulaire :", "Sans", 8, color=GRAY)
            s.text(40, top + 14, printed_holder, "Sans", 9.5)
            s.text(40, top + 19, f"{p.street} {p.postcode} {p.city}", "Sans", 8)
            s.text(18, top + 27, "Domiciliation :", "Sans", 8, color=GRAY)
            s.text(45, top + 27, domiciliation, "Sans", 9)
            grid_heads = "Banque  Guichet  N° compte  Clé"
            s.text(18, top + 36, grid_heads, "Sans", 7, color=GRAY)
            s.text(18, top + 41, f"{a.bank_code}  {a.branch_code}  {a.account_number}  {a.key}",
                   "Mono", 9)
            s.text(18, top + 50, "IBAN", "Sans", 7, color=GRAY)
            s.text(28, top + 50, iban_print, "Mono", 9.5)
            s.text(18, top + 57, "BIC", "Sans", 7, color=GRAY)
            s.text(28, top + 57, a.bic, "Mono", 9.5)
            if k < 2:
                s.hline(8, W - 8, top + 67, 0.3, dash=True)
                s.text(9, top + 66, "✂", "Sans", 8)
    else:  # "neo": a mobile bank's PDF in two columns, IBAN above its label
        s.text(14, 20, pick(rng, ["Nova", "Helios Banque", "Kapital"]), "Sans-Bold", 18)
        s.text(14, 30, "Relevé d'identité bancaire", "Sans", 12)
        s.text(14, 44, printed_holder.upper(), "Sans-Bold", 11)
        s.text(14, 49, f"{p.street}, {p.postcode} {p.city}", "Sans", 9)
        s.text(14, 64, iban_print, "Mono-Bold", 13)
        s.text(14, 69, "IBAN", "Sans", 8, color=GRAY)
        s.text(14, 80, a.bic, "Mono-Bold", 13)
        s.text(14, 85, "BIC", "Sans", 8, color=GRAY)
        s.text(120, 64, a.bank_name, "Sans", 9)
        s.text(120, 69, "Banque", "Sans", 8, color=GRAY)
        s.text(120, 80, f"{a.bank_code} {a.branch_code} {a.account_number} {a.key}", "Mono", 9)
        s.text(120, 85, "Code banque · guichet · compte · clé", "Sans", 8, color=GRAY)
        s.paragraph(14, 100, W - 28, "Communiquez ce RIB pour recevoir des virements ou mettre en "
                    "place des prélèvements. Ne communiquez jamais vos codes d'accès.", "Sans", 8.5)
    notes = ["joint account 'M. OU MME'"] if joint else []
    return Drawn("bank_details", family, fields, s.finish(), s.pages, case.dossier_id,
                 notes=notes)


__all__ = ["build_receipt", "build_certificate", "build_rib"]
