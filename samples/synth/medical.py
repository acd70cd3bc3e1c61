"""Medical certificates: certificat médical, avis d'arrêt de travail, certificat de constatation."""

from __future__ import annotations

import random
from datetime import date, timedelta

from samples.synth import fmt, ids
from samples.synth.common import Built, hr, light, logo, pick_color, signature, stamp
from samples.synth.page import A4, FontFamily, Sheet
from samples.synth.world import CITIES, FIRST_NAMES, LAST_NAMES, Dossier, Person, make_address

SPECIALTIES = [
    "Médecin généraliste",
    "Médecine générale",
    "Médecin urgentiste",
    "Chirurgien orthopédiste",
    "Médecin du sport",
    "Rhumatologue",
]
FINDINGS = [
    "une entorse de la cheville droite avec œdème important",
    "une contusion thoracique et des cervicalgies post-traumatiques",
    "un syndrome grippal fébrile nécessitant le repos",
    "une lombalgie aiguë consécutive à l'effort",
    "une plaie de l'avant-bras gauche suturée (6 points)",
    "une fracture non déplacée du poignet droit, immobilisée par attelle",
    "un état de stress aigu à la suite de l'accident",
]


def build_medical(
    rng: random.Random, families: list[FontFamily], dossier: Dossier | None, patient: Person | None
) -> Built:
    variant = rng.choice(["certificat", "arret", "constatation"])
    family = rng.choice(families)
    accent = pick_color(rng)
    dfirst, dgender = rng.choice(FIRST_NAMES)
    dlast = rng.choice(LAST_NAMES)
    doctor = f"{dfirst} {dlast}"
    doctor_printed = f"Dr {doctor}" if rng.random() < 0.7 else f"Docteur {doctor}"
    use_rpps = rng.random() < 0.65
    pid = ids.rpps(rng) if use_rpps else ids.adeli(rng)
    pid_label = "RPPS" if use_rpps else "ADELI"
    if use_rpps and rng.random() < 0.4:
        pid_label = "N° RPPS"
    addr = make_address(rng, rng.choice(CITIES))
    event = dossier.event_date if dossier else None
    if patient is None:
        raise ValueError("a certificate needs a patient")
    issue = (event or patient_date(rng)) + timedelta(days=rng.randint(0, 3))
    dstyle = fmt.pick_date_style(rng)
    with_incapacity = variant == "arret" or rng.random() < 0.6
    start = issue + timedelta(days=rng.choice([0, 0, 1]))
    end = start + timedelta(days=rng.randint(2, 21))
    patient_name = (
        patient.full_name if rng.random() < 0.6 else f"{patient.last_name} {patient.first_name}"
    )
    civ = "Madame" if patient.gender == "f" else "Monsieur"
    W, H = A4
    s = Sheet(W, H, family)
    base = rng.choice([9.5, 10.0, 10.5, 11.0])
    left = rng.choice([50.0, 60.0, 70.0])
    y = 60.0
    # Letterhead.
    if rng.random() < 0.5:
        logo(s, W - left - 40, 40, 38, rng, accent)
    s.text(left, y, doctor_printed, base + 3, bold=True)
    y += base + 6
    s.text(left, y, rng.choice(SPECIALTIES), base, italic=True)
    y += base + 4
    for t in [*addr.lines(), f"Tél. {fmt.fmt_phone(rng)}"]:
        s.text(left, y, t, base - 1)
        y += base + 2
    s.text(left, y, f"{pid_label} : {pid}", base - 1, bold=True)
    y += base + 2
    if rng.random() < 0.5:
        s.text(left, y, "Conventionné secteur 1", base - 1.5)
        y += base + 2
    hr(s, left, W - left, y + 4, color=accent, width=1.2)
    y += 50
    titles = {
        "certificat": ["CERTIFICAT MÉDICAL", "Certificat médical"],
        "arret": ["AVIS D'ARRÊT DE TRAVAIL", "CERTIFICAT D'ARRÊT DE TRAVAIL"],
        "constatation": ["CERTIFICAT MÉDICAL DE CONSTATATION", "Certificat de constatation"],
    }
    s.text(W / 2, y, rng.choice(titles[variant]), base + 5, bold=True, align="center", color=accent)
    y += 40
    width = W - 2 * left
    fields = {
        # A title (Dr, Docteur) is not part of the name, as M./Mme are not.
        "practitioner_name": fmt.fold(doctor),
        "practitioner_id": pid,
        "patient_name": fmt.fold(patient_name),
        "issue_date": issue.isoformat(),
    }
    if variant == "arret" and rng.random() < 0.6:
        # Form-like layout with boxes.
        boxes = [
            (
                "Identification de l'assuré",
                [f"Nom Prénom : {patient_name}", f"Adresse : {patient.address.one_line()}"],
            ),
            (
                "Arrêt de travail",
                [
                    f"Arrêt initial : du {fmt.fmt_date(start, dstyle)} "
                    f"au {fmt.fmt_date(end, dstyle)} inclus",
                    "Sorties autorisées : oui, de 10 h à 12 h et de 16 h à 18 h",
                ],
            ),
            ("Éléments d'ordre médical", ["(confidentiel - volet réservé au service médical)"]),
        ]
        for title, rows in boxes:
            hh = 22 + 16 * len(rows)
            s.rect(left, y - 14, width, hh, stroke=(0.2, 0.2, 0.2), width=0.8)
            s.rect(left, y - 14, width, 16, stroke=None, fill=light(accent, 0.8))
            s.text(left + 6, y - 2, title, base - 0.5, bold=True)
            yy = y + 18
            for r in rows:
                s.text(left + 8, yy, r, base - 0.5)
                yy += 16
            y += hh + 18
        fields["incapacity_start"] = start.isoformat()
        fields["incapacity_end"] = end.isoformat()
    else:
        who = f"{civ} {patient_name}"
        born = patient_date(rng).replace(year=rng.randint(1950, 2004))
        intro = rng.choice(
            [
                f"Je soussigné(e), {doctor_printed}, certifie avoir examiné ce jour {who}, "
                f"né(e) le {fmt.fmt_date(born, 'dmy_slash')}, demeurant "
                f"{patient.address.one_line()}.",
                f"Je, soussigné {doctor_printed}, docteur en médecine, certifie avoir reçu en "
                f"consultation {who}.",
            ]
        )
        y = s.wrap(left, y, width, intro, base, leading=base * 1.6)
        y += 8
        finding = rng.choice(FINDINGS)
        if variant == "constatation" and event is not None:
            y = s.wrap(
                left,
                y,
                width,
                f"Le patient déclare avoir été victime d'un accident le "
                f"{fmt.fmt_date(event, 'long')}. L'examen clinique retrouve {finding}.",
                base,
                leading=base * 1.6,
            )
        else:
            y = s.wrap(
                left,
                y,
                width,
                f"L'examen clinique met en évidence {finding}.",
                base,
                leading=base * 1.6,
            )
        y += 8
        if with_incapacity:
            txt = rng.choice(
                [
                    f"Son état nécessite un arrêt de travail du {fmt.fmt_date(start, dstyle)} au "
                    f"{fmt.fmt_date(end, dstyle)} inclus.",
                    f"Une incapacité temporaire totale (ITT) est prescrite à compter du "
                    f"{fmt.fmt_date(start, dstyle)} jusqu'au {fmt.fmt_date(end, dstyle)}.",
                ]
            )
            y = s.wrap(left, y, width, txt, base, leading=base * 1.6)
            fields["incapacity_start"] = start.isoformat()
            fields["incapacity_end"] = end.isoformat()
        else:
            y = s.wrap(
                left,
                y,
                width,
                "Son état ne justifie pas d'arrêt de travail.",
                base,
                leading=base * 1.6,
            )
        y += 8
        y = s.wrap(
            left,
            y,
            width,
            "Certificat établi à la demande de l'intéressé(e) et remis en "
            "main propre pour faire valoir ce que de droit.",
            base,
            leading=base * 1.6,
        )
    if dossier is not None and rng.random() < 0.5:
        y += 10
        s.text(left, y, f"Réf. assistance : {dossier.dossier_id}", base - 0.5)
        fields["dossier_reference"] = dossier.dossier_id
        y += base + 4
    y += 30
    place = addr.city
    s.text(W - left - 200, y, f"Fait à {place}, le {fmt.fmt_date(issue, dstyle)}", base)
    signature(s, W - left - 170, y + 45, rng)
    if rng.random() < 0.7:
        stamp(s, W - left - 60, y + 50, 32, (0.2, 0.3, 0.7))
    s.text(
        W / 2,
        H - 40,
        "Document soumis au secret médical - à transmettre au médecin conseil",
        7,
        align="center",
        italic=True,
        color=(0.35, 0.35, 0.35),
    )
    return Built(
        "medical_certificate",
        variant,
        "fr",
        [s],
        fields,
        dossier.dossier_id if dossier else None,
        title=f"Certificat {doctor}",
        author=doctor_printed,
    )


def patient_date(rng: random.Random) -> date:
    return date(2026, 1, 5) + timedelta(days=rng.randint(0, 280))
