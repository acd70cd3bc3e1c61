"""Documents that look like invoices and are not (a quote, an advertising flyer, a payment
reminder, a pro forma, an order confirmation, a statement) are never a confident ``invoice``
for the shipped model; an invoice that names the quote it follows stays an invoice. Every
text is written here, none comes from an evaluation set."""

from __future__ import annotations

import random

import pytest

from classify.features import CUE_NAMES, cue_vector
from classify.model import SklearnClassifier
from classify.settings import ClassifySettings
from classify.train import invoice_mentions
from mailroom.models import DocType, Page

REVIEW = ClassifySettings().review_threshold

_LETTERHEAD = (
    "Carrosserie Vidal\n18 avenue des Tilleuls\n33700 Mérignac\nTél. 05 56 12 34 56\n"
)
_LEGAL = "Carrosserie Vidal - SARL au capital de 15 000 € - SIRET 732 829 320 00074\n"

QUOTE = (
    _LETTERHEAD
    + "Madame Julie FABRE\n4 rue du Port\n17000 La Rochelle\n"
    + "DEVIS N° D26-0412 du 03/06/2026\n"
    + "Désignation Qté Prix unitaire HT Montant HT\n"
    + "Pare-chocs avant 1 312,00 312,00\nPeinture et vernis 1 185,50 185,50\n"
    + "Main d'oeuvre carrosserie (h) 4 58,00 232,00\n"
    + "Total HT 729,50 €\nTVA 20 % 145,90 €\nTotal TTC 875,40 €\n"
    + "Devis valable jusqu'au 03/07/2026.\n"
    + "Bon pour accord, date et signature du client :\n"
    + _LEGAL
)
FLYER = (
    _LETTERHEAD
    + "Madame Julie FABRE\n4 rue du Port\n17000 La Rochelle\n"
    + "OFFRE SPÉCIALE CLIENTS - PROMOTION DE PRINTEMPS\n"
    + "Désignation Prix TTC\n"
    + "Vidange + filtre à huile 59,90 € au lieu de 79,90 €\n"
    + "Pneu 205/55 R16 posé à partir de 64,00 € TTC\n"
    + "Contrôle de la climatisation 29,00 € TTC\n"
    + "Offre valable jusqu'au 30/06/2026 dans la limite des stocks disponibles.\n"
    + "Prenez rendez-vous sur notre site.\n"
    + "Pour ne plus recevoir nos offres : désabonnement en un clic.\n"
    + _LEGAL
)
REMINDER = (
    _LETTERHEAD
    + "Monsieur Karim BENALI\n9 impasse des Roses\n31000 Toulouse\n"
    + "Mérignac, le 12 septembre 2026\n"
    + "Objet : relance - facture impayée\n"
    + "Monsieur,\n"
    + "Sauf erreur de notre part, la facture n° F26-0871 du 10/07/2026 d'un montant de "
    + "418,20 € TTC reste impayée à ce jour, malgré son échéance au 09/08/2026.\n"
    + "Facture Date Échéance Montant TTC Reste dû\n"
    + "F26-0871 10/07/2026 09/08/2026 418,20 € 418,20 €\n"
    + "Nous vous remercions de bien vouloir nous adresser votre règlement sous huit jours.\n"
    + "Rappel de paiement - pénalités de retard exigibles.\n"
    + _LEGAL
)
INVOICE = (
    _LETTERHEAD
    + "Madame Julie FABRE\n4 rue du Port\n17000 La Rochelle\n"
    + "FACTURE N° F26-0533 du 21/06/2026\n"
    + "Désignation Qté Prix unitaire HT Montant HT\n"
    + "Pare-chocs avant 1 312,00 312,00\nPeinture et vernis 1 185,50 185,50\n"
    + "Total HT 497,50 €\nTVA 20 % 99,50 €\nTotal TTC 597,00 €\n"
    + "Net à payer 597,00 €\nÉchéance : 21/07/2026. Règlement par virement.\n"
    + "IBAN FR76 3000 6000 0112 3456 7890 189\n"
    + _LEGAL
)


def _page(text: str) -> Page:
    return Page(number=1, width=595, height=842, text=text, text_source="pdf_text")


@pytest.fixture(scope="module")
def classifier() -> SklearnClassifier:
    return SklearnClassifier()


@pytest.mark.parametrize("text", [QUOTE, FLYER, REMINDER], ids=["quote", "flyer", "reminder"])
def test_a_lookalike_is_other_never_a_confident_invoice(
    classifier: SklearnClassifier, text: str
) -> None:
    result = classifier.classify([_page(text)])
    assert result.doc_type is DocType.OTHER
    assert result.scores[DocType.INVOICE] < REVIEW


def test_an_invoice_stays_a_confident_invoice(classifier: SklearnClassifier) -> None:
    result = classifier.classify([_page(INVOICE)])
    assert result.doc_type is DocType.INVOICE and result.confidence >= REVIEW


def test_an_invoice_that_names_its_quote_stays_an_invoice(classifier: SklearnClassifier) -> None:
    # typed invoice still; the quote's word may lower its confidence (a person then looks)
    text = INVOICE.replace("Net à payer", "Suivant devis n° D26-0412 accepté le 05/06/2026\n"
                                          "Net à payer")
    assert classifier.classify([_page(text)]).doc_type is DocType.INVOICE


def test_lookalike_words_are_a_cue_of_the_model() -> None:
    at = CUE_NAMES.index("log_lookalike_terms")
    assert cue_vector(QUOTE)[at] > 0 and cue_vector(REMINDER)[at] > 0
    assert cue_vector(FLYER)[at] > 0
    assert cue_vector(INVOICE)[at] == 0


def test_invoice_mentions_insert_one_line_naming_the_quote_or_order() -> None:
    rng = random.Random(3)
    texts = [invoice_mentions(INVOICE, rng) for _ in range(20)]
    assert all(len(t.splitlines()) == len(INVOICE.splitlines()) + 1 for t in texts)
    assert any("devis" in t.lower() for t in texts) and any("commande" in t.lower() for t in texts)
