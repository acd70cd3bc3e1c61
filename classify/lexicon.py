"""Word-for-word translation of the documents' labels, to teach the model foreign documents.

The training documents are mostly French; real mail also brings invoices and letters in
English, Spanish, Italian and German. Replacing the labels (``Facture``, ``Total TTC``,
``Titulaire du compte``...) with their equivalents gives foreign-looking variants of every
type, so that no language becomes the cue of one type. This is data augmentation for
training only; classification never translates.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

LANGUAGES: tuple[str, ...] = ("en", "es", "it", "de")

# French label -> (en, es, it, de). Longer phrases first at build time.
LEXICON: dict[str, tuple[str, str, str, str]] = {
    # invoices
    "facture acquittée": ("paid invoice", "factura pagada", "fattura quietanzata", "Quittung"),
    "facture": ("invoice", "factura", "fattura", "Rechnung"),
    "désignation": ("description", "descripción", "descrizione", "Bezeichnung"),
    "description": ("description", "descripción", "descrizione", "Beschreibung"),
    "quantité": ("quantity", "cantidad", "quantità", "Menge"),
    "qté": ("qty", "cant.", "qtà", "Menge"),
    "prix unitaire": ("unit price", "precio unitario", "prezzo unitario", "Einzelpreis"),
    "p.u. ht": ("unit price", "precio unit.", "prezzo unit.", "Einzelpreis netto"),
    "montant ht": ("net amount", "importe neto", "importo netto", "Nettobetrag"),
    "total hors taxes": ("subtotal", "base imponible", "imponibile", "Nettosumme"),
    "total ht": ("subtotal", "base imponible", "imponibile", "Zwischensumme"),
    "total tva": ("total tax", "total IVA", "totale IVA", "MwSt. gesamt"),
    "total ttc": ("total amount", "total", "totale", "Gesamtbetrag"),
    "montant ttc": ("amount due", "importe total", "importo totale", "Bruttobetrag"),
    "net à payer": ("balance due", "total a pagar", "netto a pagare", "Zahlbetrag"),
    "montant": ("amount", "importe", "importo", "Betrag"),
    "tva intracommunautaire": ("VAT number", "NIF-IVA", "partita IVA", "USt-IdNr."),
    "tva": ("VAT", "IVA", "IVA", "MwSt."),
    "taux": ("rate", "tipo", "aliquota", "Satz"),
    "date de prestation": (
        "service date",
        "fecha del servicio",
        "data della prestazione",
        "Leistungsdatum",
    ),
    "date d'échéance": ("due date", "vencimiento", "scadenza", "Fälligkeitsdatum"),
    "échéance": ("due date", "vencimiento", "scadenza", "fällig am"),
    "conditions de paiement": (
        "payment terms",
        "condiciones de pago",
        "condizioni di pagamento",
        "Zahlungsbedingungen",
    ),
    "règlement par virement": (
        "payment by bank transfer",
        "pago por transferencia",
        "pagamento tramite bonifico",
        "Zahlung per Überweisung",
    ),
    "paiement par chèque ou virement bancaire": (
        "payment by cheque or bank transfer",
        "pago con cheque o transferencia",
        "pagamento con assegno o bonifico",
        "Zahlung per Scheck oder Überweisung",
    ),
    "pénalités de retard": (
        "late payment penalties",
        "recargo por demora",
        "interessi di mora",
        "Verzugszinsen",
    ),
    "n° client": ("customer no.", "n.º cliente", "cod. cliente", "Kundennr."),
    "n° commande": ("order no.", "n.º pedido", "n. ordine", "Bestellnr."),
    "client": ("customer", "cliente", "cliente", "Kunde"),
    "adressée à": ("bill to", "facturar a", "intestata a", "Rechnungsempfänger"),
    "acompte versé": ("deposit paid", "anticipo", "acconto versato", "Anzahlung"),
    "merci de votre confiance": (
        "thank you for your business",
        "gracias por su confianza",
        "grazie per la fiducia",
        "vielen Dank für Ihr Vertrauen",
    ),
    "au capital de": ("share capital", "capital social", "capitale sociale", "Stammkapital"),
    "dépannage": (
        "roadside assistance",
        "asistencia en carretera",
        "soccorso stradale",
        "Pannenhilfe",
    ),
    "main d'oeuvre": ("labour", "mano de obra", "manodopera", "Arbeitszeit"),
    "nuitée": ("night", "noche", "notte", "Übernachtung"),
    "chambre": ("room", "habitación", "camera", "Zimmer"),
    "tél": ("tel", "tel.", "tel.", "Tel."),
    # bank details
    "relevé d'identité bancaire": (
        "bank account details",
        "certificado de titularidad",
        "coordinate bancarie",
        "Bankverbindung",
    ),
    "titulaire du compte": (
        "account holder",
        "titular de la cuenta",
        "intestatario del conto",
        "Kontoinhaber",
    ),
    "titulaire": ("account holder", "titular", "intestatario", "Kontoinhaber"),
    "domiciliation": ("bank branch", "sucursal", "filiale", "Filiale"),
    "banque": ("bank", "banco", "banca", "Bank"),
    "guichet": ("branch code", "oficina", "sportello", "Filialnummer"),
    "compte": ("account", "cuenta", "conto", "Konto"),
    "clé rib": ("check digits", "dígito de control", "CIN", "Prüfziffer"),
    # medical certificates
    "certificat médical": (
        "medical certificate",
        "certificado médico",
        "certificato medico",
        "ärztliches Attest",
    ),
    "arrêt de travail": ("sick leave", "baja laboral", "malattia", "Arbeitsunfähigkeit"),
    "je soussigné": (
        "I, the undersigned",
        "el abajo firmante",
        "il sottoscritto",
        "der Unterzeichnende",
    ),
    "certifie avoir examiné": (
        "certify that I examined",
        "certifico haber examinado",
        "certifico di aver visitato",
        "bescheinige, untersucht zu haben",
    ),
    "médecin": ("physician", "médico", "medico", "Arzt"),
    "docteur": ("doctor", "doctor", "dottore", "Doktor"),
    "patient": ("patient", "paciente", "paziente", "Patient"),
    "jours": ("days", "días", "giorni", "Tage"),
    # letters and e-mails
    "madame, monsieur": (
        "Dear Sir or Madam",
        "Estimados señores",
        "Gentili signori",
        "Sehr geehrte Damen und Herren",
    ),
    "objet": ("subject", "asunto", "oggetto", "Betreff"),
    "demande de remboursement": (
        "reimbursement request",
        "solicitud de reembolso",
        "richiesta di rimborso",
        "Erstattungsantrag",
    ),
    "rembourser": ("reimburse", "reembolsar", "rimborsare", "erstatten"),
    "remboursement": ("reimbursement", "reembolso", "rimborso", "Erstattung"),
    "dossier": ("case", "expediente", "pratica", "Vorgang"),
    "contrat": ("policy", "póliza", "polizza", "Vertrag"),
    "je vous prie": ("I kindly ask you", "les ruego", "vi prego", "ich bitte Sie"),
    "veuillez agréer": (
        "yours faithfully",
        "atentamente",
        "distinti saluti",
        "mit freundlichen Grüßen",
    ),
    "salutations distinguées": (
        "kind regards",
        "saludos cordiales",
        "cordiali saluti",
        "freundliche Grüße",
    ),
    "ci-joint": ("enclosed", "adjunto", "in allegato", "anbei"),
    "frais": ("expenses", "gastos", "spese", "Kosten"),
    "véhicule": ("vehicle", "vehículo", "veicolo", "Fahrzeug"),
    "panne": ("breakdown", "avería", "guasto", "Panne"),
    "bonjour": ("hello", "hola", "buongiorno", "guten Tag"),
    "cordialement": ("best regards", "un saludo", "cordialmente", "mit freundlichen Grüßen"),
    # other mail
    "lettre d'information": ("newsletter", "boletín", "newsletter", "Newsletter"),
    "devis": ("quote", "presupuesto", "preventivo", "Angebot"),
    # look-alikes of invoices: what makes them no invoice
    "proposition commerciale": ("quotation", "oferta comercial", "offerta commerciale",
                                "Angebot"),
    "bon pour accord": ("approved by", "conforme", "per accettazione", "einverstanden"),
    "valable jusqu'au": ("valid until", "válido hasta", "valido fino al", "gültig bis"),
    "facture pro forma": ("pro forma invoice", "factura proforma", "fattura proforma",
                          "Proformarechnung"),
    "facture proforma": ("proforma invoice", "factura proforma", "fattura proforma",
                         "Proformarechnung"),
    "confirmation de commande": ("order confirmation", "confirmación de pedido",
                                 "conferma d'ordine", "Auftragsbestätigung"),
    "accusé de réception de commande": ("order acknowledgement", "acuse de recibo del pedido",
                                        "conferma di ricezione dell'ordine",
                                        "Bestelleingangsbestätigung"),
    "rappel de paiement": ("payment reminder", "recordatorio de pago", "sollecito di pagamento",
                           "Zahlungserinnerung"),
    "relance": ("reminder", "recordatorio", "sollecito", "Mahnung"),
    "mise en demeure": ("formal notice", "requerimiento de pago", "diffida", "letzte Mahnung"),
    "relevé de compte": ("statement of account", "extracto de cuenta", "estratto conto",
                         "Kontoauszug"),
    "relevé de factures": ("statement of invoices", "relación de facturas", "elenco fatture",
                           "Rechnungsübersicht"),
    "promotion": ("special offer", "promoción", "promozione", "Sonderangebot"),
    "désabonnement": ("unsubscribe", "darse de baja", "disiscriviti", "abmelden"),
    "constat amiable": (
        "accident report",
        "parte amistoso",
        "constatazione amichevole",
        "Unfallbericht",
    ),
    "vacances": ("holidays", "vacaciones", "vacanze", "Urlaub"),
    "application": ("app", "aplicación", "applicazione", "App"),
}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    keys = sorted(LEXICON, key=len, reverse=True)
    return re.compile(
        r"(?<![\w])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w])", re.IGNORECASE
    )


def translate_labels(text: str, language: str) -> str:
    """``text`` with every known French label replaced by its ``language`` equivalent,
    keeping capitals when the label was printed in capitals."""
    index = LANGUAGES.index(language)

    def replace(m: re.Match[str]) -> str:
        found = m.group(0)
        word = LEXICON[found.lower()][index]
        if found.isupper() and len(found) > 1:
            return word.upper()
        if found[0].isupper():
            return word[0].upper() + word[1:]
        return word

    return _pattern().sub(replace, text)


def foreign_variant(text: str, rng: random.Random) -> str:
    return translate_labels(text, rng.choice(LANGUAGES))


#: Words of the documents that look like invoices and are not (a quote, a pro forma, an order
#: confirmation, a payment reminder, a statement, an advertisement), in the languages the
#: mailroom receives; lower case, accents removed. How many of them a text holds is one of the
#: model's cues (``classify.features``), weighed like any other, never a rule.
LOOKALIKE_TERMS: tuple[str, ...] = (
    # quotes
    "devis", "bon pour accord", "valable jusqu'au", "valable jusqu au", "proposition commerciale",
    "offre de prix", "devis estimatif", "estimation", "quote", "quotation", "estimate",
    "valid until", "angebot", "kostenvoranschlag", "gultig bis", "presupuesto", "valido hasta",
    "preventivo", "valido fino", "offerte", "geldig tot", "estimation des travaux",
    "offre valable", "proposition tarifaire",
    # pro forma
    "pro forma", "proforma", "pro-forma", "n'a pas de valeur comptable",
    "ne constitue pas une facture", "n'est pas une facture", "not an invoice",
    # order confirmations
    # (not "bon de commande" nor "votre commande": invoices name the order they bill)
    "confirmation de commande", "accuse de reception de commande", "recapitulatif de commande",
    "commande confirmee", "commande enregistree", "order confirmation", "order acknowledgement",
    "auftragsbestatigung", "bestellbestatigung", "confirmacion de pedido", "conferma d'ordine",
    "orderbevestiging",
    # reminders
    "relance", "rappel de paiement", "dernier rappel", "mise en demeure", "en demeure", "echu",
    "echue", "reste impayee", "impaye", "impayee",
    "payment reminder", "reminder", "overdue", "zahlungserinnerung", "mahnung",
    "recordatorio de pago", "sollecito", "diffida", "betalingsherinnering", "aanmaning",
    # statements
    "releve de compte", "releve de factures", "releve arrete", "extrait de compte",
    "situation de compte", "factures en attente", "factures non soldees", "solde de votre compte",
    "statement of account", "account statement", "kontoauszug", "extracto de cuenta",
    "estratto conto", "rekeningoverzicht",
    # advertising
    "promotion", "promo", "offre speciale", "offre exceptionnelle", "desabonnement",
    "se desabonner", "desinscrire", "unsubscribe", "newsletter", "special offer",
    "sonderangebot", "abmelden", "oferta", "promoción", "promozione", "aanbieding",
    "dans la limite des stocks", "non cumulable", "profitez", "avantage client",
    "vous recevez ce message",
)

