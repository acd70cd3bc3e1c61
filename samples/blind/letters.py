"""Claim letters (typed, handwritten, the assisteur's form) and the look-alikes typed ``other``."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from samples.blind.ids import fr_amount, fr_date, money, plate
from samples.blind.layouts import FAMILIES, GRAY, Case, Drawn, items_table, kv, pick, provider
from samples.blind.sheet import Sheet

CLAIM_REASONS = {
    "vehicle_breakdown": ("la panne de mon véhicule", ["les frais de dépannage",
                                                       "la nuit d'hôtel", "le taxi"]),
    "accident": ("l'accident de la circulation dont j'ai été victime", [
        "les frais de remorquage", "les médicaments", "le taxi jusqu'à la gare"]),
    "medical": ("mon hospitalisation", ["les frais de pharmacie", "le transport en ambulance"]),
    "travel": ("l'annulation de mon voyage", ["les frais d'hôtel", "le billet de train"]),
}


def amount_phrase(rng: random.Random, amount: Decimal) -> str:
    a = fr_amount(amount)
    return pick(rng, [f"la somme de {a} €", f"un montant total de {a} euros",
                      f"la somme de {a} euros", f"{a} € au total", f"un total de {a} EUR"])


def build_claim(rng: random.Random, case: Case, family: str) -> Drawn:
    p = case.person
    s = Sheet()
    W = s.width
    amount = money(rng.uniform(35, 900))
    sender = p.name(pick(rng, ["upper", "plain", "all_upper"]))
    fields = {"sender_name": sender, "requested_amount": str(amount)}
    what, costs = CLAIM_REASONS.get(case.event_type, CLAIM_REASONS["accident"])
    cost_list = ", ".join(rng.sample(costs, min(2, len(costs))))
    sent = case.event_date + timedelta(days=rng.randint(5, 25))
    notes = ["date of the event and of the letter in running text; amount in running text"]
    with_policy = rng.random() < 0.5
    if with_policy:
        fields["policy_number"] = case.policy_number
    with_dossier = rng.random() < 0.8
    if with_dossier:
        fields["dossier_reference"] = case.dossier_id
    if family == "manuscrite":
        y = 22.0
        for line in [f"{p.first_name} {p.last_name}", p.street, f"{p.postcode} {p.city}"]:
            s.handwriting(rng, 16, y, line, 12)
            y += 7
        s.handwriting(rng, 110, y + 6, f"{p.city}, le {fr_date(sent, 'slash')}", 12)
        y += 22
        lines = ["Madame, Monsieur," if rng.random() < 0.6 else "Bonjour,",
                 f"Suite à {what} le {fr_date(case.event_date, 'short')},"]
        if with_dossier:
            lines.append(f"(dossier n° {case.dossier_id})")
        lines += [f"je vous envoie les justificatifs pour {cost_list}.",
                  f"Merci de bien vouloir me rembourser {amount_phrase(rng, amount)}."]
        if with_policy:
            lines.append(f"Mon contrat : {case.policy_number}")
        lines += ["Vous trouverez mon RIB ci-joint.", "", "Cordialement,"]
        for line in lines:
            if line:
                s.handwriting(rng, 20, y, line, 12.5)
            y += 8.5
        s.handwriting(rng, 110, y + 4, sender if rng.random() < 0.5 else
                      f"{p.first_name[0]}. {p.last_name}", 13)
        s.scribble(rng, 110, y + 8, 35, 10)
        notes.append("handwriting-like")
        # the signed name is what the note says of its sender
        return Drawn("claim_letter", family, fields, s.finish(), s.pages, case.dossier_id,
                     notes=notes)
    if family == "formulaire":
        s.text(W / 2, 18, case.assisteur.upper(), "Sans-Bold", 12, "center")
        s.text(W / 2, 27, "DEMANDE DE REMBOURSEMENT DE FRAIS", "Sans-Bold", 14, "center")
        s.text(W / 2, 33, "à retourner accompagnée des justificatifs originaux", "Sans", 8.5,
               "center")
        rows = [("Nom", p.last_name.upper()), ("Prénom", p.first_name)]
        fields["sender_name"] = f"{p.first_name} {p.last_name.upper()}"
        rows += [("Né(e) le", fr_date(p.birth, "slash")), ("Adresse", f"{p.street}, "
                                                                     f"{p.postcode} {p.city}")]
        if with_dossier:
            rows.append((pick(rng, ["N° de dossier", "Référence dossier"]), case.dossier_id))
        if with_policy:
            rows.append((pick(rng, ["N° de contrat", "Contrat"]), case.policy_number))
        s.rect(12, 40, W - 24, 8 + len(rows) * 7, 0.5)
        y = 47.0
        for label, value in rows:
            s.text(16, y, label + " :", "Sans", 9, color=GRAY)
            s.handwriting(rng, 55, y, value, 12)
            y += 7
        y += 10
        expenses = _split(rng, amount)
        s.rect(12, y - 5, W - 24, 7, 0.4, fill=0.9)
        s.c.setFillColorRGB(0, 0, 0)
        for x, h in ((15, "Nature de la dépense"), (100, "Date"), (W - 15, "Montant")):
            s.text(x, y, h, "Sans-Bold", 9, "right" if x > 150 else "left")
        y += 8
        for i, part in enumerate(expenses):
            s.handwriting(rng, 15, y, costs[i % len(costs)].replace("les ", "").replace("le ", "")
                          .replace("la ", "").capitalize(), 11.5)
            s.handwriting(rng, 100, y, fr_date(case.event_date + timedelta(days=i), "short"), 11.5)
            s.handwriting(rng, W - 40, y, fr_amount(part) + " €", 11.5)
            s.hline(12, W - 12, y + 2.5, 0.2)
            y += 8
        s.text(100, y + 3, pick(rng, ["TOTAL DEMANDÉ", "Montant total réclamé", "Total"]),
               "Sans-Bold", 10)
        s.handwriting(rng, W - 40, y + 3, fr_amount(amount) + " €", 12.5)
        y += 16
        s.text(15, y, "Règlement par virement sur le compte dont RIB joint.", "Sans", 9)
        s.text(15, y + 10, f"Fait à {p.city}, le", "Sans", 9)
        s.handwriting(rng, 55, y + 10, fr_date(sent, "slash"), 12)
        s.text(120, y + 10, "Signature :", "Sans", 9)
        s.scribble(rng, 140, y + 8, 35, 12)
        notes.append("the assisteur's printed form filled in by hand")
        return Drawn("claim_letter", family, fields, s.finish(), s.pages, case.dossier_id,
                     notes=notes)
    # "dactylo": a typed formal letter
    face = pick(rng, ["Serif", "Sans"])
    civ = pick(rng, [p.civility + " ", p.short_civility + " ", ""])
    s.lines(16, 20, [f"{civ}{sender}", p.street, f"{p.postcode} {p.city}",
                     f"Tél. : 06 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                     f"{rng.randint(10, 99)} {rng.randint(10, 99)}", p.email], face, 10)
    s.lines(115, 58, [case.assisteur, pick(rng, ["Service Remboursements", "Service Sinistres",
                                                 "Gestion des dossiers"]),
                      "TSA 40123", "92024 NANTERRE CEDEX"], face, 10)
    s.text(115, 86, f"{p.city}, le {fr_date(sent, pick(rng, ['long', 'slash']))}", face, 10)
    y = 100.0
    subject = pick(rng, ["Objet : demande de remboursement", "Objet : Remboursement de frais",
                         "OBJET : Frais avancés"])
    if with_dossier and rng.random() < 0.6:
        subject += f" - {pick(rng, ['Dossier n°', 'Dossier', 'Réf.'])} {case.dossier_id}"
        in_subject = True
    else:
        in_subject = False
    s.text(16, y, subject, face + "-Bold", 10.5)
    y += 5
    if with_policy:
        s.text(16, y, f"{pick(rng, ['Contrat n°', 'N° de contrat :', 'Police n°'])} "
                      f"{case.policy_number}", face, 10)
        y += 5
    if rng.random() < 0.4:
        s.text(16, y, "Lettre recommandée avec accusé de réception", face, 9, color=GRAY)
        y += 5
    y += 8
    s.text(16, y, pick(rng, ["Madame, Monsieur,", "Madame, Monsieur,", "Monsieur,"]), face, 10.5)
    y += 9
    dossier_part = "" if not with_dossier or in_subject else \
        f" (mon dossier n° {case.dossier_id})"
    body = [
        f"Le {fr_date(case.event_date, 'long')}, j'ai été confronté(e) à {what}{dossier_part}. "
        f"Votre service d'assistance, que j'ai contacté le jour même, m'a indiqué que "
        f"{cost_list} seraient pris en charge sur présentation des justificatifs.",
        f"J'ai dû avancer ces frais et vous prie de bien vouloir me rembourser "
        f"{amount_phrase(rng, amount)}, conformément aux garanties de mon contrat. Vous "
        f"trouverez ci-joint les factures correspondantes ainsi qu'un relevé d'identité "
        f"bancaire.",
        "Je reste à votre disposition pour tout renseignement complémentaire.",
        "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
    ]
    if rng.random() < 0.4:
        quote = fr_amount(money(rng.uniform(80, 400)))
        body.insert(1, f"Le garage m'a par ailleurs remis un devis de {quote} € que je ne vous "
                       f"demande pas de régler.")
        notes.append("a second amount in the letter that is not the request")
    for para in body:
        y = s.paragraph(16, y, W - 32, para, face, 10.5) + 4
    s.scribble(rng, 120, y + 3, 35, 11)
    s.text(120, y + 20, sender, face, 10.5)
    s.text(16, y + 32, "P.J. : factures, ticket, RIB", face, 9)
    return Drawn("claim_letter", "dactylo", fields, s.finish(), s.pages, case.dossier_id,
                 notes=notes)


def _split(rng: random.Random, amount: Decimal) -> list[Decimal]:
    n = rng.randint(1, 3)
    cuts = sorted(money(rng.uniform(5, float(amount) - 5)) for _ in range(n - 1))
    parts = []
    last = Decimal(0)
    for c in [*cuts, amount]:
        parts.append(c - last)
        last = c
    return [p for p in parts if p > 0] or [amount]


# -- look-alikes: documents that are not one of the five types ------------------------------


def build_other(rng: random.Random, case: Case, family: str) -> Drawn:
    s = Sheet()
    W = s.width
    notes: list[str] = []
    if family in ("devis", "relance"):
        fam = FAMILIES[pick(rng, ["garage", "depanneur"])]
        co = provider(rng, fam, case.person.last_name)
        s.text(14, 18, co.name, "Sans-Bold", 15)
        s.lines(14, 24, [co.street, f"{co.postcode} {co.city}", f"Tél. {co.phone}"], "Sans", 8.5)
        s.lines(W * 0.55, 40, [f"{case.person.short_civility} {case.person.name('upper')}",
                               case.person.street, f"{case.person.postcode} {case.person.city}"],
                "Sans", 9.5)
        number = f"{rng.randint(1000, 9999)}"
        when = case.event_date + timedelta(days=rng.randint(0, 5))
        if family == "devis":
            s.text(14, 66, f"DEVIS N° D{when.year}-{number}", "Sans-Bold", 15)
            y = kv(s, rng, 14, 76, [("Date du devis", fr_date(when, "slash")),
                                    ("Valable jusqu'au", fr_date(when + timedelta(days=30),
                                                                 "slash")),
                                    ("Immatriculation", case.plate)],
                   pick(rng, ["colon", "tab"]))
            rows = []
            for desc, _lo, _hi, plo, phi in rng.sample(fam.items, 3):
                rows.append((desc, Decimal(1), money(rng.uniform(plo, phi)), Decimal(20)))
            y = items_table(s, rng, 12, y + 4, W - 24, rows, False, "Sans")
            ht = sum((money(q * u) for _, q, u, _ in rows), Decimal(0))
            tva = money(ht * Decimal("0.2"))
            for label, value in (("Total HT", ht), ("TVA 20 %", tva), ("Total TTC", ht + tva)):
                s.text(W * 0.55, y, label, "Sans-Bold", 10)
                s.text(W - 13, y, fr_amount(value) + " €", "Sans-Bold", 10, "right")
                y += 6
            s.rect(14, y + 6, 80, 28, 0.5)
            s.text(16, y + 11, "Bon pour accord", "Sans-Bold", 9)
            s.text(16, y + 16, "Date, signature et cachet du client,", "Sans", 8)
            s.text(16, y + 21, "précédés de la mention « lu et approuvé »", "Sans", 8)
            s.paragraph(100, y + 10, W - 114, "Devis gratuit. Les prix s'entendent pièces et "
                        "main d'oeuvre, hors travaux supplémentaires non prévus.", "Sans", 8)
            notes.append("a quote with totals and 'bon pour accord'")
        else:
            s.text(14, 66, pick(rng, ["RELANCE", "2e RELANCE - FACTURE IMPAYÉE",
                                      "Rappel de paiement"]), "Sans-Bold", 15)
            ttc = money(rng.uniform(120, 700))
            body = (f"Madame, Monsieur, sauf erreur de notre part, notre facture n° F{when.year}-"
                    f"{number} du {fr_date(when, 'slash')} d'un montant de {fr_amount(ttc)} € TTC "
                    f"reste impayée à ce jour. Nous vous remercions de bien vouloir procéder à son "
                    f"règlement sous huitaine. Si votre paiement a été effectué entre-temps, "
                    f"veuillez ne pas tenir compte de ce courrier.")
            y = s.paragraph(14, 80, W - 28, body, "Serif", 10.5) + 6
            s.text(14, y, f"Référence de votre dossier : {case.dossier_id}", "Serif", 10)
            s.text(W - 20, y + 20, "Le service comptabilité", "Serif", 10, "right")
            notes.append("a reminder quoting an invoice's number, date and amount")
        return Drawn("other", family, {}, s.finish(), s.pages, case.dossier_id,
                     notes=notes)
    if family == "prospectus":
        s.rect(0, 0, W, 60, 0, fill=0.2, stroke=False)
        name = pick(rng, ["PNEUS EXPRESS", "AUTO CENTRE DU LAC", "GARAGE DES PINS",
                          "PARE-BRISE 2000"])
        s.text(W / 2, 28, name, "Sans-Bold", 26, "center", (1, 1, 1))
        s.text(W / 2, 42, pick(rng, ["OFFRES DU MOIS", "PROMOTIONS D'HIVER", "SPÉCIAL RENTRÉE"]),
               "Sans-Bold", 16, "center", (1, 0.85, 0.1))
        offers = [("Vidange + filtre à huile", 49, 89), ("Contrôle climatisation", 29, 59),
                  ("4 pneus 205/55 R16 posés", 260, 390), ("Remplacement pare-brise", 0, 0),
                  ("Plaquettes de frein AV", 69, 119), ("Géométrie", 39, 69)]
        y = 80.0
        for label, lo, hi in rng.sample(offers, 4):
            s.rect(14, y - 8, W - 28, 24, 0.8)
            s.text(20, y + 2, label, "Sans-Bold", 14)
            if hi:
                price = money(rng.uniform(lo, hi)) - Decimal("0.10")
                s.text(W - 20, y + 4, f"{fr_amount(price)} € TTC", "Sans-Bold", 18, "right")
                s.text(W - 20, y + 11, f"au lieu de {fr_amount(price * Decimal('1.25'))} €",
                       "Sans", 9, "right")
            else:
                s.text(W - 20, y + 4, "FRANCHISE OFFERTE*", "Sans-Bold", 15, "right")
            y += 32
        s.text(14, y + 6, "* Voir conditions en magasin. Offres valables du "
               f"{fr_date(case.event_date, 'slash')} au "
               f"{fr_date(case.event_date + timedelta(days=30), 'slash')}. Non cumulable.",
               "Sans", 8)
        s.text(14, y + 12, f"SIRET 5{rng.randint(10**12, 10**13 - 1)} - Ne pas jeter sur la voie "
               "publique.", "Sans", 7, color=GRAY)
        notes.append("an advertising flyer with prices and TTC")
        return Drawn("other", family, {}, s.finish(), s.pages, None, notes=notes)
    if family == "lettre_info":
        s.text(14, 20, case.assisteur, "Serif-Bold", 18)
        s.text(14, 28, f"La lettre des adhérents - n° {rng.randint(12, 80)} - "
               f"{fr_date(case.event_date, 'long_upper').split(' ', 1)[1].title()}", "Serif", 10)
        s.hline(12, W - 12, 32, 1)
        col_w = (W - 34) / 2
        texts = [
            ("Partir l'esprit tranquille", "Avant un long trajet, vérifiez la pression de vos "
             "pneus, les niveaux et l'éclairage. En cas de panne sur autoroute, utilisez les "
             "bornes orange : seul le dépanneur agréé peut intervenir. Votre contrat prend "
             "en charge le remorquage jusqu'à 150 € et l'hébergement jusqu'à 80 € par nuit."),
            ("Vos démarches en ligne", "Déclarez un sinistre, suivez votre dossier et envoyez "
             "vos justificatifs depuis votre espace adhérent. Les remboursements sont effectués "
             "sous 15 jours à réception des pièces : facture originale, RIB et, le cas échéant, "
             "certificat médical."),
            ("Chiffres clés", "En 2025, nos équipes ont organisé 48 200 dépannages, 3 100 "
             "rapatriements et 9 800 nuits d'hôtel. Délai moyen d'intervention : 47 minutes."),
            ("Nouveau", "Le service de véhicule de remplacement est désormais disponible 7j/7 "
             "dans 320 agences partenaires."),
        ]
        for i, (title, body) in enumerate(texts):
            x = 14 if i % 2 == 0 else 20 + col_w
            y = 44 if i < 2 else 150
            s.text(x, y, title, "Serif-Bold", 12)
            s.paragraph(x, y + 7, col_w, body, "Serif", 10)
        s.text(W / 2, 285, "Pour ne plus recevoir cette lettre, écrivez-nous. "
               f"{case.assisteur} - SA au capital de 12 000 000 €", "Sans", 7, "center", GRAY)
        notes.append("two-column newsletter with amounts in its text")
        return Drawn("other", family, {}, s.finish(), s.pages, None, notes=notes)
    if family == "constat":
        s.text(W / 2, 14, "CONSTAT AMIABLE D'ACCIDENT AUTOMOBILE", "Sans-Bold", 13, "center")
        s.text(W / 2, 19, "À signer obligatoirement par les DEUX conducteurs", "Sans", 8, "center")
        s.rect(12, 24, 60, 10, 0.5)
        s.text(14, 28, "1. date de l'accident", "Sans", 7)
        s.text(14, 32.5, fr_date(case.event_date, "slash"), "Mono", 9)
        s.rect(72, 24, 66, 10, 0.5)
        s.text(74, 28, "lieu", "Sans", 7)
        s.text(74, 32.5, f"{case.person.city}, {pick(rng, ['rond-point', 'RN 12', 'parking'])}",
               "Mono", 9)
        s.rect(138, 24, 60, 10, 0.5)
        s.text(140, 28, "2. blessé(s) même léger(s)  non  oui", "Sans", 7)
        for k, (label, x) in enumerate((("VÉHICULE A", 12), ("VÉHICULE B", 110))):
            s.rect(x, 40, 88, 100, 0.5)
            s.text(x + 2, 45, label, "Sans-Bold", 10)
            who = case.person if k == 0 else None
            boxes = [("6. Assuré / souscripteur - Nom", who.last_name.upper() if who else
                     "DURAND"),
                    ("Prénom", who.first_name if who else "Paul"),
                    ("7. Véhicule - N° d'immatriculation", case.plate if who else plate(rng)),
                    ("8. Société d'assurance", pick(rng, ["MAIF", "MACIF", "GMF", "MAAF"])),
                    ("Contrat n°", f"{rng.randint(10**7, 10**8 - 1)}"),
                    ("9. Conducteur - né le", fr_date(case.person.birth, "slash") if who else
                     "12/05/1971")]
            y = 52.0
            for lbl, val in boxes:
                s.text(x + 2, y, lbl, "Sans", 6.8, color=GRAY)
                s.handwriting(rng, x + 4, y + 5, val, 10.5)
                y += 13
        s.text(14, 150, "12. circonstances : mettre une croix dans chacune des cases utiles",
               "Sans", 8)
        s.scribble(rng, 30, 250, 40, 12)
        s.scribble(rng, 130, 250, 40, 12)
        notes.append("a constat amiable filled by hand")
        return Drawn("other", family, {}, s.finish(), s.pages, case.dossier_id, notes=notes)
    # "courrier": a plain letter that asks nothing to be paid (change of address)
    p = case.person
    s.lines(16, 20, [f"{p.first_name} {p.last_name.upper()}", p.street,
                     f"{p.postcode} {p.city}"], "Serif", 10)
    s.lines(115, 50, [case.assisteur, "Service Adhérents"], "Serif", 10)
    s.text(115, 66, f"{p.city}, le {fr_date(case.event_date, 'long')}", "Serif", 10)
    s.text(16, 80, "Objet : changement d'adresse", "Serif-Bold", 10.5)
    y = s.paragraph(16, 92, W - 32, (
        "Madame, Monsieur, je vous informe de mon changement d'adresse à compter du "
        f"{fr_date(case.event_date + timedelta(days=20), 'long')}. Merci de bien vouloir "
        "mettre à jour mes coordonnées pour l'envoi de mes prochains courriers. Mon "
        f"numéro de contrat est le {case.policy_number}. Je vous prie d'agréer, Madame, "
        "Monsieur, mes salutations distinguées."), "Serif", 10.5)
    s.scribble(rng, 120, y + 6, 35, 10)
    notes.append("a letter from a beneficiary that claims nothing")
    return Drawn("other", "courrier", {}, s.finish(), s.pages, case.dossier_id, notes=notes)


__all__ = ["build_claim", "build_other"]
