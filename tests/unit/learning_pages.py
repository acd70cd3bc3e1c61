"""Invoices of two invented invoicing programs, for the learning tests: the same template
printed for different companies with different values, and another template."""

from __future__ import annotations

from dataclasses import dataclass

from mailroom.models import Page
from tests.unit.laid_out import laid_out_page


def luhn_complete(prefix: str) -> str:
    """``prefix`` and one more digit that makes the Luhn sum right."""
    for last in "0123456789":
        digits = prefix + last
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def siret(seed: int) -> str:
    siren = luhn_complete(f"{(seed * 7919) % 10**8:08d}")
    return luhn_complete(siren + f"{seed % 1000:04d}")


def iban(bban: str) -> str:
    """A French IBAN of ``bban`` (23 characters) with its mod-97 key."""
    moved = bban + "FR00"
    number = int("".join(str(int(c, 36)) for c in moved))
    return f"FR{98 - number % 97:02d}{bban}"


@dataclass(frozen=True)
class Sale:
    company: str
    siret: str
    number: str
    day: str  # as printed: 12/03/2026
    ht: str  # as printed: 1 234,50
    tva: str
    ttc: str
    customer: str
    other_number: str = "BL-55120"  # a delivery note's number printed near the invoice's


def atelier_invoice(sale: Sale, *, shift: float = 0.0) -> Page:
    """Template A: the invoice number on the right of the header, under a delivery-note number
    the extractor may take; totals stacked at the bottom right."""
    return laid_out_page(
        (40, 40, sale.company),
        (40, 55, "12 rue des Tilleuls 45000 Orléans"),
        (40, 70, f"SIRET {sale.siret[:3]} {sale.siret[3:6]} {sale.siret[6:9]} {sale.siret[9:]}"),
        (330 + shift, 92, "FACTURE"),
        (330 + shift, 110, f"Bon de livraison : {sale.other_number}"),
        (330 + shift, 125, f"Pièce comptable {sale.number}"),
        (330 + shift, 140, f"Émise le {sale.day}"),
        (40, 180, f"Client : {sale.customer}"),
        (40, 230, "Désignation Quantité Prix unitaire Montant"),
        (40, 245, f"Main d'oeuvre atelier 1 {sale.ht} {sale.ht}"),
        (330, 600, f"Montant hors taxes {sale.ht}"),
        (330, 615, f"TVA 20 % {sale.tva}"),
        (330, 630, f"Net à payer {sale.ttc}"),
        (40, 780, "Pénalités de retard : trois fois le taux d'intérêt légal"),
    )


def route_invoice(sale: Sale) -> Page:
    """Template B: another program, labels elsewhere and worded otherwise."""
    return laid_out_page(
        (300, 40, "FACTURE"),
        (300, 60, f"Numéro {sale.number}"),
        (300, 75, f"Date {sale.day}"),
        (40, 120, sale.company),
        (40, 135, f"Siret {sale.siret}"),
        (40, 300, f"Total HT {sale.ht}"),
        (40, 315, f"Total TVA {sale.tva}"),
        (40, 330, f"Total TTC {sale.ttc}"),
        (40, 500, f"Adressée à {sale.customer}"),
        (40, 800, "Conditions générales de vente au verso"),
    )


SALES = [
    Sale("Garage Verchamp", siret(11), "PC-20931", "03/02/2026", "200,00", "40,00", "240,00",
         "Lucie Fabregat"),
    Sale("Carrosserie Ombrelle", siret(12), "PC-77102", "17/05/2026", "1 050,00", "210,00",
         "1 260,00", "Marius Tolosan"),
    Sale("Atelier Brunissac", siret(13), "PC-31877", "29/09/2026", "87,50", "17,50", "105,00",
         "Ines Carvallo"),
]
