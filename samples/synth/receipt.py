"""Thermal receipts (tickets de caisse) in French, English, Spanish and Italian."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from samples.synth import fmt, ids
from samples.synth.common import Built, hr, logo
from samples.synth.page import FontFamily, Sheet
from samples.synth.world import Dossier

VARIANTS = ["restaurant", "pharmacy", "fuel", "toll", "taxi"]

MERCHANTS = {
    "fr": {
        "restaurant": [
            "Brasserie du Commerce",
            "Le Bistrot de la Place",
            "Pizzeria Bella Vita",
            "Restaurant Le Relais",
        ],
        "pharmacy": ["Pharmacie Centrale", "Pharmacie du Marché", "Grande Pharmacie de la Gare"],
        "fuel": ["Station Total Access", "Intermarché Carburants", "Esso Express A7"],
        "toll": ["APRR Autoroute A6", "VINCI Autoroutes A7", "SANEF A1"],
        "taxi": ["Taxi Parisien G7", "Taxi Lyon Centre", "Taxi Conventionné Rousseau"],
    },
    "en": {
        "restaurant": ["The Crown & Anchor", "Bella Napoli Restaurant", "Riverside Diner"],
        "pharmacy": ["Boots Pharmacy", "CityCare Chemist", "Lloyds Pharmacy"],
        "fuel": ["Shell Kensington", "BP Service Station", "Texaco Express"],
        "toll": ["Dartford Crossing", "M6 Toll", "Severn Bridge Toll"],
        "taxi": ["London Black Cabs Ltd", "Addison Lee", "Dublin Taxi Co-op"],
    },
    "en_us": {
        "restaurant": ["Joe's Diner", "Bella Napoli Restaurant", "Main Street Grill"],
        "pharmacy": ["Walgreens #4512", "CVS Pharmacy #2231", "Duane Reade"],
        "fuel": ["Exxon Station 118", "Chevron", "Sunoco Gas"],
        "toll": ["Golden Gate Bridge Toll", "NJ Turnpike", "Lincoln Tunnel"],
        "taxi": ["Yellow Cab Co.", "NYC Green Cab", "Checker Cab"],
    },
    "es": {
        "restaurant": ["Restaurante Casa Pepe", "Bar La Tasca", "Cervecería El Puerto"],
        "pharmacy": ["Farmacia Ldo. García", "Farmacia Central", "Farmacia del Mar"],
        "fuel": ["Repsol Estación 2041", "Cepsa El Pilar", "Galp Autovía"],
        "toll": ["Autopistas AP-7", "Peaje AP-68", "Abertis Autopistas"],
        "taxi": ["Radio Taxi Madrid", "Taxi Barcelona 24h", "Teletaxi Sevilla"],
    },
    "it": {
        "restaurant": ["Trattoria da Mario", "Ristorante Il Gabbiano", "Pizzeria Vesuvio"],
        "pharmacy": ["Farmacia Comunale", "Farmacia San Marco", "Farmacia Dr. Rossi"],
        "fuel": ["Eni Station", "IP Stazione di Servizio", "Q8 Easy"],
        "toll": ["Autostrade per l'Italia", "Autostrada A4 Brescia", "Traforo del Monte Bianco"],
        "taxi": ["Radio Taxi Milano", "Taxi Roma 3570", "Cooperativa Taxi Firenze"],
    },
}
ITEMS = {
    "restaurant": {
        "fr": [
            ("Menu du jour", 14, 22),
            ("Plat du jour", 11, 17),
            ("Café", 2, 3),
            ("Eau minérale 50cl", 3, 5),
            ("Dessert maison", 5, 8),
            ("Verre de vin", 4, 7),
        ],
        "en": [
            ("Fish & chips", 12, 17),
            ("Burger", 11, 16),
            ("Coffee", 2, 4),
            ("Soft drink", 2, 4),
            ("Cheesecake", 5, 8),
        ],
        "es": [
            ("Menú del día", 11, 16),
            ("Paella", 13, 19),
            ("Café con leche", 1, 3),
            ("Agua", 2, 3),
            ("Caña", 2, 4),
        ],
        "it": [
            ("Coperto", 2, 3),
            ("Pizza margherita", 7, 11),
            ("Spaghetti carbonara", 10, 15),
            ("Acqua", 2, 3),
            ("Caffè", 1, 2),
            ("Tiramisù", 5, 7),
        ],
    },
    "pharmacy": {
        "fr": [
            ("Doliprane 1000mg", 2, 4),
            ("Pansements stériles", 4, 8),
            ("Sérum physiologique", 3, 6),
            ("Bande de contention", 8, 15),
            ("Spray nasal", 5, 8),
        ],
        "en": [
            ("Paracetamol 500mg", 1, 4),
            ("Plasters", 3, 6),
            ("Antiseptic cream", 4, 8),
            ("Ibuprofen 200mg", 2, 5),
        ],
        "es": [
            ("Paracetamol 1g", 2, 4),
            ("Tiritas", 3, 6),
            ("Ibuprofeno 600", 2, 5),
            ("Suero fisiológico", 3, 5),
        ],
        "it": [
            ("Tachipirina 1000", 3, 6),
            ("Cerotti", 3, 6),
            ("Moment 200mg", 4, 8),
            ("Disinfettante", 4, 7),
        ],
    },
    "fuel": {
        "fr": [("Gazole", 60, 95), ("SP95-E10", 55, 90)],
        "en": [("Unleaded", 45, 80), ("Diesel", 50, 85)],
        "es": [("Gasóleo A", 50, 85), ("Sin plomo 95", 50, 80)],
        "it": [("Gasolio", 55, 90), ("Benzina", 55, 90)],
    },
    "toll": {
        "fr": [("Classe 1", 8, 42)],
        "en": [("Class 2 vehicle", 3, 12)],
        "es": [("Vehículo ligero", 6, 25)],
        "it": [("Classe A", 7, 38)],
    },
    "taxi": {
        "fr": [("Course", 18, 65), ("Supplément bagage", 2, 4)],
        "en": [("Fare", 14, 55), ("Extras", 1, 5)],
        "es": [("Carrera", 12, 45), ("Suplemento aeropuerto", 4, 5)],
        "it": [("Corsa", 15, 60), ("Supplemento notturno", 3, 7)],
    },
}
CURRENCIES = {
    "fr": ["EUR"],
    "en": ["GBP", "GBP", "USD", "EUR"],
    "es": ["EUR"],
    "it": ["EUR", "CHF"],
}
PAYMENTS = {
    "fr": [
        ("CB", "card"),
        ("Carte bancaire", "card"),
        ("CB SANS CONTACT", "card"),
        ("Espèces", "cash"),
        ("ESPECES", "cash"),
        ("Chèque", "cheque"),
    ],
    "en": [
        ("Card", "card"),
        ("VISA CONTACTLESS", "card"),
        ("Cash", "cash"),
        ("MASTERCARD", "card"),
    ],
    "es": [("Tarjeta", "card"), ("Efectivo", "cash"), ("TARJETA CREDITO", "card")],
    "it": [("Carta", "card"), ("Contanti", "cash"), ("Bancomat", "card")],
}
LABELS: dict[str, dict[str, Any]] = {
    "fr": {
        "total": ["TOTAL TTC", "TOTAL", "MONTANT TTC", "A PAYER"],
        "vat": "TVA",
        "change": "RENDU",
        "thanks": ["MERCI DE VOTRE VISITE", "A BIENTOT !", "Bonne route"],
        "till": "Caisse",
        "ticket": "Ticket",
        "date": "Date",
        "sub": "SOUS-TOTAL",
        "pay": "Paiement",
    },
    "en": {
        "total": ["TOTAL", "TOTAL DUE", "AMOUNT DUE", "BALANCE"],
        "vat": "VAT",
        "change": "CHANGE",
        "thanks": ["THANK YOU!", "Thank you for visiting", "Have a nice day"],
        "till": "Till",
        "ticket": "Receipt",
        "date": "Date",
        "sub": "SUBTOTAL",
        "pay": "Paid by",
    },
    "es": {
        "total": ["TOTAL", "IMPORTE TOTAL", "TOTAL A PAGAR"],
        "vat": "IVA",
        "change": "CAMBIO",
        "thanks": ["GRACIAS POR SU VISITA", "¡Buen viaje!"],
        "till": "Caja",
        "ticket": "Ticket",
        "date": "Fecha",
        "sub": "SUBTOTAL",
        "pay": "Forma de pago",
    },
    "it": {
        "total": ["TOTALE", "TOTALE COMPLESSIVO", "TOTALE EURO"],
        "vat": "IVA",
        "change": "RESTO",
        "thanks": ["GRAZIE E ARRIVEDERCI", "Buon viaggio"],
        "till": "Cassa",
        "ticket": "Scontrino",
        "date": "Data",
        "sub": "SUBTOTALE",
        "pay": "Pagamento",
    },
}
VAT_RATES = {
    "fr": {"restaurant": "10", "pharmacy": "5.5", "fuel": "20", "toll": "20", "taxi": "10"},
    "en": {"restaurant": "20", "pharmacy": "0", "fuel": "20", "toll": "20", "taxi": "0"},
    "es": {"restaurant": "10", "pharmacy": "4", "fuel": "21", "toll": "21", "taxi": "10"},
    "it": {"restaurant": "10", "pharmacy": "10", "fuel": "22", "toll": "22", "taxi": "10"},
}
CITY = {
    "fr": ["Lyon", "Paris", "Valence", "Dijon"],
    "en": ["London", "Dover", "Bath", "Manchester"],
    "es": ["Madrid", "Barcelona", "Girona", "Sevilla"],
    "it": ["Milano", "Roma", "Lugano", "Torino"],
}


def build_receipt(
    rng: random.Random,
    monos: list[FontFamily],
    dossier: Dossier | None,
    language: str,
    variant: str,
) -> Built:
    lang = language
    currency = rng.choice(CURRENCIES[lang])
    if currency == "CHF" and variant == "toll":
        currency = "EUR"
    if lang == "it" and currency == "CHF":
        city = "Lugano"
    else:
        city = rng.choice([c for c in CITY[lang] if c != "Lugano"] or CITY[lang])
    if lang == "en" and currency == "USD":
        city = rng.choice(["New York", "San Francisco", "Boston"])
    elif lang == "en" and currency == "EUR":
        city = rng.choice(["Dublin", "Cork"])
    merchant = rng.choice(MERCHANTS["en_us" if currency == "USD" else lang][variant])
    mono = rng.choice(monos)
    astyle = fmt.pick_amount_style(rng, lang, currency)
    dstyle = rng.choice(
        ["dmy_slash", "dmy_slash", "dmy_dot_short", "iso", "long"]
        if lang != "en"
        else ["dmy_slash", "en_short", "en_long", "iso"]
        if currency != "USD"
        else ["us", "us", "en_long"]
    )
    base = dossier.event_date if dossier else date(2026, 2, 1) + timedelta(days=rng.randint(0, 250))
    day = base + timedelta(days=rng.randint(0, 4))
    time_ = f"{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}"
    lab = LABELS[lang]
    pool = ITEMS[variant][lang]
    single = variant in ("fuel", "toll")
    chosen = rng.sample(pool, k=1 if single else min(len(pool), rng.randint(1, 4)))
    lines: list[tuple[str, int, Decimal]] = []
    for name, lo, hi in chosen:
        qty = rng.randint(1, 3) if variant in ("restaurant", "pharmacy") else 1
        price = fmt.money(Decimal(rng.randint(lo * 100, hi * 100)) / 100)
        lines.append((name, qty, price))
    total = fmt.money(sum((p * q for _, q, p in lines), Decimal(0)))
    if variant == "fuel":
        unit_price = Decimal(rng.choice(["1.789", "1.839", "1.699", "1.915"]))
        liters = fmt.money(total / unit_price)
    pay_label, pay_norm = rng.choice(PAYMENTS[lang])

    def amt(v: Decimal) -> str:
        return fmt.fmt_amount(v, astyle, currency, sign=False)

    def amt_sign(v: Decimal) -> str:
        return fmt.fmt_amount(v, "en" if astyle == "en_plain" else astyle, currency, sign=True)

    width = rng.choice([204.0, 216.0, 226.0])
    size = rng.choice([7.5, 8.0, 8.5])
    lead = size * 1.45
    n_lines = 22 + len(lines) * 2
    height = 60 + n_lines * lead
    sheet = Sheet(width, height, mono)
    f = mono.regular
    fb = mono.bold
    y = 24.0
    if rng.random() < 0.4:
        logo(sheet, width / 2 - 14, y - 12, 28, rng, (0, 0, 0))
        y += 28
    sheet.text(width / 2, y, merchant.upper(), size + 2, align="center", font=fb)
    y += lead + 2
    street = rng.choice(
        {
            "fr": ["Av. de la République", "Rue Nationale", "Aire de Montélimar Est"],
            "en": ["High Street", "Station Road", "Broadway"],
            "es": ["Calle Mayor", "Avda. de la Constitución"],
            "it": ["Via Roma", "Corso Italia", "Piazza Garibaldi"],
        }[lang]
    )
    sheet.text(width / 2, y, f"{rng.randint(1, 99)} {street}", size, align="center", font=f)
    y += lead
    sheet.text(width / 2, y, city, size, align="center", font=f)
    y += lead
    if lang == "fr":
        sheet.text(width / 2, y, f"SIRET {ids.siret(rng)}", size - 0.5, align="center", font=f)
        y += lead
        sheet.text(width / 2, y, f"Tél {fmt.fmt_phone(rng)}", size - 0.5, align="center", font=f)
        y += lead
    elif lang == "es":
        sheet.text(
            width / 2,
            y,
            f"CIF B{rng.randint(10000000, 99999999)}",
            size - 0.5,
            align="center",
            font=f,
        )
        y += lead
    elif lang == "it":
        sheet.text(
            width / 2,
            y,
            f"P.IVA {rng.randint(10**10, 10**11 - 1)}",
            size - 0.5,
            align="center",
            font=f,
        )
        y += lead
    y += 4
    chars = int((width - 20) / (size * 0.6))
    hr(sheet, 10, width - 10, y - size, color=(0, 0, 0), dash=(2, 2))
    y += lead * 0.5
    date_s = (
        f"{day.month:02d}/{day.day:02d}/{day.year}"
        if dstyle == "us"
        else fmt.fmt_date(day, dstyle, lang)
    )
    sheet.text(10, y, f"{lab['date']}: {date_s}", size, font=f)
    sheet.text(width - 10, y, time_, size, font=f, align="right")
    y += lead
    sheet.text(
        10,
        y,
        f"{lab['ticket']} {rng.randint(1000, 99999)}   {lab['till']} {rng.randint(1, 9)}",
        size,
        font=f,
    )
    y += lead * 1.5
    for name, qty, price in lines:
        label = f"{qty} x {name}" if qty > 1 else name
        if variant == "fuel":
            sheet.text(10, y, name, size, font=f)
            y += lead
            per_l = str(unit_price) if lang == "en" else str(unit_price).replace(".", ",")
            label = f"  {fmt.fmt_number(liters, 'fr' if lang != 'en' else 'en')} L x {per_l}"
        sheet.text(10, y, label[: chars - 9], size, font=f)
        sheet.text(width - 10, y, amt(price * qty), size, font=f, align="right")
        y += lead
    y += 4
    hr(sheet, 10, width - 10, y - size, color=(0, 0, 0), dash=(2, 2))
    y += lead * 0.4
    if len(lines) > 1 and rng.random() < 0.6:
        sheet.text(10, y, lab["sub"], size, font=f)
        sheet.text(width - 10, y, amt(total), size, font=f, align="right")
        y += lead
    rate = Decimal(VAT_RATES[lang][variant]) if currency != "USD" else Decimal(0)
    if rate and rng.random() < 0.8:
        vat = fmt.money(total - total / (1 + rate / 100))
        rate_s = f"{rate:f}".replace(".", ",") if lang != "en" else f"{rate:f}"
        sheet.text(10, y, f"{lab['vat']} {rate_s}%", size, font=f)
        sheet.text(width - 10, y, amt(vat), size, font=f, align="right")
        y += lead
    total_label = rng.choice(lab["total"])
    sheet.text(10, y + 2, total_label, size + 2, font=fb)
    sheet.text(width - 10, y + 2, amt_sign(total), size + 2, font=fb, align="right")
    y += lead * 1.6
    sheet.text(
        10, y, f"{lab['pay']}: {pay_label}" if rng.random() < 0.5 else pay_label, size, font=f
    )
    if pay_norm == "cash":
        given = fmt.money((total / 10).to_integral_value() * 10 + 10)
        sheet.text(width - 10, y, amt(given), size, font=f, align="right")
        y += lead
        sheet.text(10, y, lab["change"], size, font=f)
        sheet.text(width - 10, y, amt(given - total), size, font=f, align="right")
    elif pay_norm == "card":
        y += lead
        sheet.text(10, y, f"**** **** **** {rng.randint(1000, 9999)}", size, font=f)
        y += lead
        sheet.text(10, y, f"AUTO {rng.randint(100000, 999999)}", size, font=f)
    y += lead * 1.8
    sheet.text(width / 2, y, rng.choice(lab["thanks"]), size, align="center", font=f)
    y += lead * 2
    sheet.height = max(height, y + 10)
    fields = {
        "merchant_name": fmt.fold(merchant.upper()),
        "receipt_date": day.isoformat(),
        "total_incl_tax": fmt.norm_amount(total),
        "currency": currency,
        "payment_method": pay_norm,
    }
    return Built(
        "receipt",
        variant,
        lang,
        [sheet],
        fields,
        dossier.dossier_id if dossier else None,
        title=merchant,
    )
