"""The label lexicon, as data: which printed labels announce which kind of value.

Each :class:`LabelKind` lists its phrases in French, English, Spanish, Italian, German (and a
little Dutch, which reaches the mailroom through Benelux providers). Phrases are matched on
folded text (lower case, accents removed), token by token, with spaCy's ``PhraseMatcher``;
where phrases overlap the longest wins, so "N° TVA" beats "TVA" and "Total HT" beats "Total".

``accepts`` says what shapes of value the label can own: a label only owns a value of a shape
it accepts, so "Client : Dupont ..... 120,00" does not make the amount a customer name.
"""

from __future__ import annotations

from dataclasses import dataclass

AMOUNT = "amount"
DATE = "date"
CODE = "code"  # invoice numbers, references: a token with digits
NAME = "name"
SIRET = "siret"
VAT = "vat"
IBAN = "iban"
BIC = "bic"
PLATE = "plate"
PRACTITIONER_ID = "practitioner_id"
TEXT = "text"  # payment method words, currency words


@dataclass(frozen=True)
class LabelKind:
    key: str
    accepts: frozenset[str]
    phrases: tuple[str, ...]


def _k(key: str, accepts: tuple[str, ...], *phrases: str) -> LabelKind:
    return LabelKind(key, frozenset(accepts), phrases)


#: words that qualify an invoice's title between « facture » and its number (its state, its
#: copy, its kind)
_INVOICE_QUALIFIERS = (
    "acquittée", "acquittee", "originale", "original", "duplicata", "copie", "définitive",
    "rectificative", "proforma", "pro forma", "pro-forma", "d'acompte", "de solde", "simplifiée",
    "récapitulative", "périodique", "client", "de vente", "de prestation", "de prestations",
    "de service", "de services", "de transport", "de dépannage", "de remorquage",
)

LABEL_KINDS: tuple[LabelKind, ...] = (
    # ---- invoice identity
    _k("invoice_number", (CODE,),
       "n° de facture", "no de facture", "facturen°", "numéro de facture", "numero facture",
       "n° facture", "n° pièce", "n° de pièce", "numéro de pièce", "pièce n°",
       "facture n°", "facture no", "facture n", "facture numéro", "facture nº", "réf. facture",
       "référence facture", "invoice no", "invoice no.", "invoice number", "invoice #",
       "invoice nr", "invoice n°", "invoice num", "invoice id", "inv no", "bill no", "receipt no",
       "receipt #", "receipt number", "document no", "rechnungsnr", "rechnungsnr.",
       "rechnungsnummer", "rechnung nr", "rechnung nr.", "rechnungs-nr", "factura nº",
       "factura n°", "factura no", "número de factura", "n.º factura", "numero fattura",
       "fattura n", "fattura n.", "fattura nr", "factuurnummer", "factuur nr", "avoir n°",
       "numéro d'avoir", "facture", "invoice", "rechnung", "factura", "fattura", "factuur",
       "tax invoice", "booking id",
       # German, Dutch, Spanish, Italian, English wordings of the invoice's number
       "belegnummer", "beleg-nr", "beleg-nr.", "belegnr", "belegnr.", "beleg nr", "beleg nr.",
       "re.-nr.", "re.-nr", "re-nr", "re-nr.", "rg.-nr.", "rg-nr", "rg-nr.", "rg.nr.",
       "rechnungs-nr.", "rechnungs nr", "rechnungs nr.", "rechnung nummer", "rechnungsnr.:",
       "dokumentnummer", "dokument-nr", "document number", "document no.", "doc no",
       "factuur nummer", "factuurnr", "factuurnr.", "nummer factuur", "número factura",
       "nº de factura", "n.º de factura", "num. factura", "factura número", "numero documento",
       "n. documento", "fattura numero", "n. fattura", "fattura nr.", "invoice reference",
       "invoice ref", "bill number",
       # credit notes carry their own number
       "avoir", "avoir no", "n° d'avoir", "numéro avoir", "facture d'avoir", "credit note",
       "credit note no", "credit note number", "credit memo", "gutschrift", "gutschrift nr",
       "gutschriftsnummer", "nota de crédito", "nota di credito", "creditnota",
       # a title qualified before its number: "FACTURE ACQUITTÉE N° …", "Facture originale n° …"
       *(f"facture {q} {n}" for q in _INVOICE_QUALIFIERS for n in ("n°", "no", "numéro", "nº")),
       *(f"{q} invoice {n}" for q in ("tax", "original", "final", "paid", "proforma", "pro forma")
         for n in ("no", "no.", "number", "#", "n°"))),
    # the invoice a credit note or a corrected invoice refers to: not this one's number
    _k("related_invoice", (CODE,),
       "facture liée", "facture associée", "n° de facture associée", "facture d'origine",
       "facture initiale", "facture rectifiée", "facture corrigée", "sur facture",
       "related invoice", "original invoice", "corrected invoice", "preceding invoice",
       "referenced invoice", "ursprungsrechnung", "factura rectificada", "fattura di origine"),
    _k("order_number", (CODE,),
       "n° de commande", "numéro de commande", "commande n°", "bon de commande", "order no",
       "order number", "order id", "order #", "purchase order", "po number", "bestellnummer",
       "ordernummer", "pedido", "ordine n", "n° bl", "bon de livraison", "bl n°"),
    _k("customer_number", (CODE,),
       "n° client", "numéro client", "code client", "réf. client", "référence client",
       "id client", "id.client", "customer no", "customer number", "customer id",
       "account number", "klantnummer", "kundennummer", "kunden-nr", "n° d'abonné",
       "numéro de ligne", "n° adhérent", "member no", "membership no", "cashier",
       "table", "terminal", "tid", "mid"),
    _k("dossier_reference", (CODE,),
       "n° de dossier", "numéro de dossier", "dossier n°", "dossier no", "réf. dossier",
       "référence dossier", "dossier", "votre référence", "vos références", "votre réf",
       "vos réf", "vos réf.", "votre réf.", "vos refs", "vos référence",
       "v/réf", "v/ réf", "v. réf", "réf. assistance", "n° d'assistance", "n° sinistre",
       "numéro de sinistre", "sinistre n°", "claim number", "claim no", "case number",
       "file number", "your reference", "your ref", "n° dossier", "n° dossier assistance",
       "n° de dossier assistance", "dossier assistance", "réf. dossier assistance",
       "référence dossier assistance", "numéro de dossier assistance", "réf. sinistre",
       "référence sinistre", "assistance file", "case reference", "case ref",
       # the assisteur's own words on a provider's invoice: its reference, its agreement
       "référence assisteur", "réf. assisteur", "réf assisteur", "n° assisteur",
       "référence de l'assisteur", "n° de prise en charge", "numéro de prise en charge",
       "prise en charge n°", "accord de prise en charge n°", "n° pec", "réf. pec",
       "référence assistance", "référence d'assistance"),
    _k("policy_number", (CODE,),
       "n° de contrat", "numéro de contrat", "contrat n°", "contrat no", "n° contrat",
       "n° de police", "numéro de police", "police n°", "police d'assurance n°",
       "n° d'adhésion", "contrat d'assistance n°", "policy number", "policy no",
       "contrat", "police"),
    # ---- dates
    _k("invoice_date", (DATE,),
       "date de facture", "date de facturation", "date facture", "date d'émission",
       "date d'edition", "émise le", "facturé le", "invoice date", "date of issue", "issue date",
       "date issued", "billing date", "rechnungsdatum", "fecha de factura", "fecha",
       "data fattura", "factuurdatum", "date", "datum", "data", "le", "du", "dated"),
    _k("due_date", (DATE,),
       "échéance", "date d'échéance", "date limite de paiement", "date limite", "à payer avant",
       "payable le", "à régler avant", "due date", "payment due", "due by", "pay by",
       "fälligkeitsdatum", "fällig am", "zahlbar bis", "vencimiento", "scadenza",
       "vervaldatum", "prélèvement à partir du", "prélevé le", "date de prélèvement"),
    _k("other_date", (DATE,),
       "date de commande", "order date", "orderdatum", "date de livraison", "livré le",
       "delivery date", "lieferdatum", "date d'expédition", "période", "période du",
       "period", "date de naissance", "né le", "née le", "né(e) le", "birth date",
       "date of birth", "date de l'accident", "date du sinistre", "date de l'intervention",
       "check in", "check out", "check-in", "check-out", "date d'entrée", "valable jusqu'au",
       "depuis le", "imprimé le", "printed",
       "date de facture associée", "date de la facture d'origine", "date facture d'origine",
       "original invoice date", "date de début de prestation", "date de fin de prestation",
       "date début", "date fin", "période de facturation",
       "période de", "service period", "billing period", "leistungszeitraum",
       "leistungsdatum", "date de prestation", "date of supply", "date of service",
       "ddn", "d.d.n.", "admis le", "admise le", "admis(e) le", "date d'admission",
       "admission le", "entré le", "entrée le", "entré(e) le", "hospitalisé le",
       "accident le", "accident du", "survenu le", "survenue le", "sinistre du",
       "sinistre survenu le", "événement du", "incident du", "accident on", "intervention du",
       "intervention le"),
    _k("issue_date", (DATE,),
       "fait le", "fait à", "établi le", "délivré le", "date de l'examen", "date de la visite",
       "examiné le", "date de consultation"),
    _k("incapacity_start", (DATE,),
       "à compter du", "a partir du", "à partir du", "du", "depuis le", "arrêt de travail du",
       "date de début", "début de l'arrêt", "prescrit du"),
    _k("incapacity_end", (DATE,),
       "au", "jusqu'au", "jusqu'au inclus", "jusqu au", "date de fin", "fin de l'arrêt",
       "inclus jusqu'au"),
    # ---- totals
    _k("total_incl_tax", (AMOUNT,),
       "total ttc", "montant ttc", "total t.t.c.", "total t.t.c", "net à payer", "net a payer",
       "total à payer", "montant à payer", "somme à payer", "montant total", "total facture",
       "total de la facture", "total général", "montant dû", "total dû",
       "amount due", "total due", "balance due", "total amount", "grand total", "invoice total",
       "total incl", "total incl. vat", "total (incl", "total including", "total inc",
       "total inclusive", "inclusive of gst", "incl. gst", "total amt payable",
       "total payable", "amount payable", "nett total", "net total", "rounded total",
       "total rounded", "total sales (inclusive", "gesamtbetrag", "rechnungsbetrag",
       "endbetrag", "bruttobetrag", "summe", "gesamtsumme", "zu zahlen", "importe total",
       "total factura", "total a pagar", "totale", "totale fattura", "totale da pagare",
       "importo totale", "totaal", "te betalen", "totaalbedrag", "total eur", "total €",
       "montant eur ttc", "montant total ttc", "totaal incl. btw", "gesamt brutto",
       "total incl. vat", "total",
       # German, Dutch, Spanish, Italian, English wordings of the amount due
       "zahlbetrag", "fälliger betrag", "gesamtbetrag brutto", "gesamtsumme brutto",
       "summe brutto", "betrag brutto", "brutto", "rechnungssumme", "rechnungsendbetrag",
       "zu zahlender betrag", "zahlbarer betrag", "offener betrag", "endsumme",
       "gesamtpreis", "totaalbedrag incl. btw", "te betalen bedrag", "totaal te betalen",
       "factuurbedrag", "totaal incl", "importe a pagar", "total a abonar", "importe total factura",
       "total importe", "totale documento", "totale a pagare", "netto a pagare",
       "importo da pagare", "totale complessivo", "amount payable", "total to pay",
       "invoice amount", "total invoice amount", "amount to pay", "total amount due",
       "total gross", "gross total", "gross amount", "à payer", "a payer", "montant débité"),
    _k("total_excl_tax", (AMOUNT,),
       "total ht", "montant ht", "total h.t.", "total h.t", "base ht", "total hors taxes",
       "montant hors taxes", "sous-total", "sous total", "subtotal", "sub total", "sub-total",
       "total excl", "total excl. vat", "total excluding", "total before tax", "net amount",
       "total net", "nettobetrag", "zwischensumme", "summe netto", "base imponible",
       "imponibile", "totaal excl", "totaal excl. btw", "subtotaal", "montant eur ht",
       "total sales (excluding", "excluding gst", "total (excl", "total exclusive",
       "montant total ht", "total net ht", "montant net ht", "exclusief btw",
       "totaal excl. btw", "gesamt netto", "nettosumme",
       # German, Dutch, Spanish, Italian, English wordings of the total before tax
       "gesamtsumme netto", "gesamtbetrag netto", "betrag netto", "netto", "summe netto",
       "nettogesamtbetrag", "warenwert netto", "warenwert", "nettowarenwert", "summe positionen",
       "summe der positionen",
       "summe aller positionen", "rechnungsbetrag netto", "nettowert", "zwischensumme netto",
       "totaal exclusief btw", "bedrag excl. btw", "netto bedrag", "totaal netto",
       "subtotal sin iva", "total sin iva", "base imponible total", "importe neto",
       "totale imponibile", "imponibile totale", "totale netto", "total without vat",
       "total net amount", "net value", "total net value", "taxable amount",
       "sum of line net amounts",
       # the tax base of a VAT breakdown's row, by language
       "grondslag", "btw grondslag", "bemessungsgrundlage", "steuerbemessungsgrundlage",
       "base imposable", "base taxable", "taxable value", "tax base", "base de cálculo",
       "base di calcolo",
       # "Net total" is the total before tax on an invoice, the total paid on a till
       # receipt: the phrase is both, the sum HT + TVA = TTC decides
       "net total"),
    _k("vat_amount", (AMOUNT,),
       "tva", "total taxes", "total des taxes", "tax total", "taxes total", "vat total",
       "gst total", "tva totale", "total taxe", "montant des taxes",
       "total tax amount", "montant tva", "total tva", "t.v.a.", "vat", "total vat",
       "vat amount", "tax",
       "total tax", "sales tax", "gst", "total gst", "gst amount", "sst", "iva", "cuota iva",
       "mwst", "mwst.", "ust", "ust.", "umsatzsteuer", "mehrwertsteuer", "btw", "montant eur tva",
       "montant tva",
       # German, Dutch, Spanish, Italian, English wordings of the tax amount
       "steuerbetrag", "steuer", "summe ust", "summe ust.", "summe mwst", "summe mwst.",
       "summe umsatzsteuer", "gesamtsumme umsatzsteuer", "umsatzsteuerbetrag", "mwst.-betrag",
       "mwst-betrag", "ust.-betrag", "ust-betrag", "zzgl. ust", "zzgl. ust.", "zzgl. mwst",
       "zzgl. mwst.", "zzgl. umsatzsteuer", "plus ust", "enthaltene mwst", "enthaltene ust",
       "mehrwertsteuerbetrag", "btw-bedrag", "btw bedrag", "totaal btw", "bedrag btw",
       "importe iva", "total iva", "cuota de iva", "importo iva", "totale iva", "iva totale",
       "tax amount", "total vat amount", "vat total amount"),
    _k("amount_distractor", (AMOUNT,),
       "acompte", "acompte versé", "acomptes", "déjà payé", "déjà réglé", "montant réglé",
       "payé", "deposit", "paid", "amount paid", "already paid", "anzahlung", "capital",
       "capital social", "au capital de", "cash", "tendered", "change", "rendu", "monnaie",
       "espèces", "rounding", "rounding adj", "arrondi", "discount", "remise", "total qty",
       "total quantity", "total items", "qty", "quantité", "qté", "prix unitaire",
       "unit price", "p.u.", "pu ht", "tarif", "taux", "rate", "points", "balance",
       "card", "carte", "visa", "mastercard", "credit card", "acompte de"),
    _k("remaining_due", (AMOUNT,),
       "reste dû", "reste à payer", "solde dû", "solde", "reste à régler", "restant dû"),
    _k("requested_amount", (AMOUNT,),
       "montant de", "somme de", "remboursement de", "rembourser la somme de",
       "montant réclamé", "montant demandé", "s'élève à", "pour un montant de",
       "d'un montant de", "montant total de", "total des frais", "amount of", "sum of",
       "total demandé", "montant total demandé", "total réclamé", "somme demandée",
       "somme réclamée", "total à rembourser", "montant à rembourser",
       "remboursement demandé", "montant de la demande", "total de la demande",
       "amount claimed", "claimed amount", "total claimed", "erstattungsbetrag"),
    # ---- identifiers
    _k("siret", (SIRET,), "siret", "n° siret", "siret n°", "numéro siret", "siret :"),
    _k("company_registration", (CODE,),
       "company reg", "company reg no", "company no", "company registration", "co. reg",
       "co reg no", "co. no", "registration no", "reg no", "reg. no", "roc no", "roc",
       "company number", "registered number", "handelsregister", "hrb", "kvk", "kvk-nummer",
       "registro mercantil", "rea", "numéro rcs", "immatriculée au rcs"),
    _k("siren", (SIRET,), "siren", "rcs", "r.c.s.", "n° rcs", "rcs paris", "ape", "naf"),
    _k("vat_number", (VAT,),
       "n° tva", "n° tva intracommunautaire", "numéro de tva", "tva intracommunautaire",
       "tva intracom", "tva intra", "n° de tva", "identifiant tva", "n° identification tva",
       "vat number", "vat no", "vat reg", "vat id", "vat registration", "ust-idnr",
       "ust-id", "ust.-id", "ust-id-nr", "umsatzsteuer-id", "steuernummer", "nif", "cif",
       "ustid", "ustidnr", "ust id", "ust-idnr.", "umsatzsteuer-identifikationsnummer",
       "btw-id", "btw id", "btw-nr", "vat reg no", "vat reg. no",
       "partita iva", "p. iva", "p.iva", "btw-nummer", "btw nr", "btw nummer",
       "vat", "tva", "btw", "ust"),
    _k("customer_ids", (VAT, SIRET),
       "n° tva client", "tva client", "n° tva du client", "vat client", "customer vat",
       "buyer vat", "siret client", "siret du client", "vos identifiants", "tva acheteur",
       "customer vat number", "customer vat no", "customer vat id", "buyer vat number",
       "client vat number", "n° tva intracommunautaire client", "n° tva acheteur"),
    _k("iban", (IBAN,), "iban", "iban :", "code iban", "n° iban", "compte"),
    _k("bic", (BIC,), "bic", "code bic", "swift", "bic/swift", "swift/bic", "code swift",
       "bic :"),
    _k("rpps", (PRACTITIONER_ID,), "rpps", "n° rpps", "numéro rpps", "identifiant rpps",
       "n° rpps :", "identifiant", "n° am", "n° identification"),
    _k("adeli", (PRACTITIONER_ID,), "adeli", "n° adeli", "numéro adeli"),
    _k("vehicle_registration", (PLATE,),
       "immatriculation", "immat", "immat.", "n° d'immatriculation", "véhicule immatriculé",
       "plaque", "registration", "kennzeichen", "matrícula", "targa", "véhicule"),
    _k("phone", (AMOUNT, CODE, DATE, SIRET, PRACTITIONER_ID),
       "tél", "tel", "tél.", "tel.", "téléphone", "telephone", "phone", "fax", "mobile",
       "portable", "gsm", "telefon", "teléfono", "telefono", "tlf", "hotline"),
    # ---- names
    _k("customer_name", (NAME,),
       "client", "facturé à", "facture à", "adressé à", "destinataire", "bill to", "billed to",
       "invoice to", "sold to", "customer", "nom du client", "rechnungsempfänger", "kunde",
       "cliente", "nom de l'abonné", "adresse de facturation", "adressée à", "adressé(e) à",
       "facturée à", "facturé(e) à", "à l'attention de", "à l'attention du", "attn"),
    _k("account_holder", (NAME,),
       "titulaire du compte", "titulaire", "intitulé du compte", "nom du titulaire",
       "account holder", "account name", "beneficiary", "kontoinhaber", "titular"),
    _k("patient_name", (NAME,),
       "patient", "patiente", "nom du patient", "nom et prénom du patient", "assuré",
       "certifie avoir examiné", "avoir examiné", "examiné ce jour", "nom de l'assuré",
       "nom prénom", "nom et prénom", "nom, prénom", "nom / prénom", "prénom nom",
       "reçu en consultation", "avoir reçu en consultation", "certifie avoir reçu",
       "name of patient", "patient name"),
    _k("practitioner_name", (NAME,),
       "docteur", "dr", "dr.", "médecin", "je soussigné", "je soussignée", "je soussigné(e)",
       "praticien", "nom du médecin", "identification du médecin"),
    _k("sender_name", (NAME,), "expéditeur", "de :", "from :", "from"),
    _k("merchant_name", (NAME,), "raison sociale", "fournisseur", "vendeur",
       "émetteur", "supplier", "vendor", "seller"),
    # the delivery address names where the goods went, not who is billed
    _k("delivery_address", (),
       "livraison", "adresse de livraison", "lieu de livraison", "livré à", "livrée à",
       "delivery address", "delivery", "ship to", "shipping address", "deliver to",
       "lieferadresse", "lieferanschrift", "dirección de entrega", "indirizzo di consegna",
       "afleveradres"),
    _k("address", (),
       "adresse", "address", "domicile", "demeurant", "domicilié", "anschrift", "dirección",
       "indirizzo", "adres"),
    # ---- context cues (own nothing; their presence near a value matters)
    _k("incapacity_cue", (),
       "arrêt de travail", "arrêt", "incapacité", "incapacité temporaire", "repos",
       "itt", "arrêt maladie", "interruption de travail", "en arrêt"),
    _k("payment_method", (TEXT,), "mode de paiement", "mode de règlement", "payment method",
       "paid by", "payment", "règlement", "paiement", "zahlungsart", "forma de pago"),
)

BY_KEY: dict[str, LabelKind] = {k.key: k for k in LABEL_KINDS}

#: field -> {label kind: strength}. A value owned by a label of another kind accepting the
#: same shape is a distractor for the field.
FIELD_LABELS: dict[str, dict[str, float]] = {
    "invoice_number": {"invoice_number": 1.0},
    "invoice_date": {"invoice_date": 1.0},
    "receipt_date": {"invoice_date": 1.0},
    "issue_date": {"issue_date": 1.0, "invoice_date": 0.8},
    "incapacity_start": {"incapacity_start": 1.0},
    "incapacity_end": {"incapacity_end": 1.0},
    "total_incl_tax": {"total_incl_tax": 1.0},
    "total_excl_tax": {"total_excl_tax": 1.0},
    "vat_amount": {"vat_amount": 1.0},
    "requested_amount": {"requested_amount": 1.0, "total_incl_tax": 0.7},
    "supplier_siret": {"siret": 1.0, "siren": 0.5},
    "supplier_vat_number": {"vat_number": 1.0},
    "iban": {"iban": 1.0},
    "bic": {"bic": 1.0},
    "practitioner_id": {"rpps": 1.0, "adeli": 1.0},
    "vehicle_registration": {"vehicle_registration": 1.0},
    "dossier_reference": {"dossier_reference": 1.0},
    "policy_number": {"policy_number": 1.0},
    "customer_name": {"customer_name": 1.0},
    "account_holder": {"account_holder": 1.0},
    "patient_name": {"patient_name": 1.0},
    "practitioner_name": {"practitioner_name": 1.0},
    "sender_name": {"sender_name": 1.0},
    "supplier_name": {"merchant_name": 1.0},
    "merchant_name": {"merchant_name": 1.0},
}

#: Labels whose phrase is a bare short word: they only count as labels when followed on the
#: same line by a separator or a value (not inside a sentence).
WEAK_PHRASES: frozenset[str] = frozenset(
    {"le", "du", "au", "date", "data", "datum", "total", "tva", "vat", "tax", "compte",
     "contrat", "police", "dossier", "facture", "invoice", "rechnung", "factura", "fattura",
     "factuur", "client", "customer", "patient", "from", "identifiant", "véhicule", "payé",
     "paid", "change", "cash", "balance", "card", "carte", "visa", "rate", "taux", "points",
     "summe", "tarif", "table", "terminal", "tid", "mid", "ust", "btw", "totale", "totaal",
     "fecha", "arrêt", "repos", "solde", "capital", "payment", "règlement", "paiement",
     "titulaire", "assuré", "remise", "discount", "dr", "dr.", "docteur", "médecin", "avoir",
     "gutschrift",
     # the parties' bare names: "Le fournisseur", "Seller line 2" are words, not labels
     "fournisseur", "vendeur", "émetteur", "supplier", "vendor", "seller",
     # bare words of the totals' lexicon: "netto" in "30 Tage netto" is no label
     "netto", "brutto", "steuer"}
)

#: Strength of a label match, by phrase: bare words are weaker than full labels.
WEAK_STRENGTH = 0.6

PAYMENT_WORDS: dict[str, tuple[str, ...]] = {
    "card": ("cb", "carte bancaire", "carte bleue", "carte", "paiement cb", "visa",
             "mastercard", "master card", "amex", "american express", "credit card",
             "debit card", "card", "tarjeta", "carta", "karte", "ec-karte", "sans contact",
             "contactless", "maestro"),
    "cash": ("espèces", "especes", "esp.", "cash", "liquide", "efectivo", "contanti", "bar",
             "numéraire"),
    "cheque": ("chèque", "cheque", "chq", "check", "chèque bancaire"),
    "transfer": ("virement", "virement bancaire", "bank transfer", "transfer",
                 "wire transfer", "überweisung", "transferencia", "bonifico", "sepa"),
}

#: Phrases with a payment word that name no means of payment: a health-insurance card, a
#: vehicle's registration certificate, a loyalty or identity card, a carte blanche.
NOT_PAYMENT: tuple[str, ...] = (
    "carte vitale", "carte grise", "carte de fidélité", "carte fidélité", "carte client",
    "carte d'identité", "carte nationale", "carte de séjour", "carte senior", "carte famille",
    "carte blanche", "carte des vins", "à la carte", "loyalty card", "member card",
    "membership card", "id card",
)

#: Change handed back: only cash is given change (the line's amount is no means of payment,
#: but its presence says the customer paid in cash).
CHANGE_GIVEN: tuple[str, ...] = (
    "à rendre", "rendu", "monnaie rendue", "rendu monnaie", "votre monnaie", "change",
    "change due", "cambio", "resto", "rückgeld", "wisselgeld",
)

#: Headings of an invoice's parties' blocks, over rows of form labels ("Name:", "Straße:"):
#: the seller's and the buyer's (``extract.fields.party_blocks``). Matched as whole words in
#: a short line of its own ("Angaben zum Verkäufer", "Seller (Verkäufer)").
SELLER_HEADINGS: tuple[str, ...] = (
    "verkäufer", "lieferant", "rechnungssteller", "rechnungsaussteller", "auftragnehmer",
    "leistungserbringer", "seller", "supplier", "vendor", "issuer", "vendeur", "fournisseur",
    "émetteur", "prestataire", "leverancier", "verkoper", "vendedor", "proveedor", "emisor",
    "fornitore", "venditore", "cedente", "cedente prestatore", "prestatore",
)
BUYER_HEADINGS: tuple[str, ...] = (
    "käufer", "rechnungsempfänger", "auftraggeber", "kunde", "leistungsempfänger", "buyer",
    "customer", "bill to", "billed to", "invoice to", "acheteur", "client", "destinataire",
    "facturé à", "koper", "afnemer", "klant", "comprador", "cliente", "destinatario",
    "cessionario", "cessionario committente", "committente", "acquirente",
)
#: Headings of a certificate's or a claim form's people: the patient or insured person's
#: block ("Identification de l'assuré(e)", "Patient", "Versicherte Person") and the
#: practitioner's ("Identification du praticien prescripteur", "Médecin"), over rows of form
#: labels ("Nom Prénom ...", "Né(e) le ..."). Matched as whole words in a short line.
PATIENT_HEADINGS: tuple[str, ...] = (
    "assuré", "assurée", "l'assuré", "l'assurée", "assuré(e)", "l'assuré(e)", "assuré social",
    "patient", "patiente", "le patient", "la patiente", "bénéficiaire", "victime", "malade",
    "personne concernée", "insured", "insured person", "policyholder", "versicherte",
    "versicherter", "versicherte person", "asegurado", "assicurato", "verzekerde",
)
PRACTITIONER_HEADINGS: tuple[str, ...] = (
    "praticien", "praticien prescripteur", "prescripteur", "médecin", "médecin prescripteur",
    "médecin traitant", "docteur", "professionnel de santé", "physician", "doctor",
    "practitioner", "prescriber", "arzt", "ärztin", "médico", "medico",
)
#: The form label of a person's name inside its block, with or without its colon ("Nom
#: Prénom LECLERC Loïc", "Nom : ...").
PERSON_NAME_LABELS: tuple[str, ...] = (
    "nom prénom", "nom et prénom", "nom, prénom", "nom - prénom", "nom / prénom",
    "nom prénoms", "nom et prénoms", "prénom nom", "prénom et nom", "nom", "nom usuel",
    "nom d'usage", "name", "full name", "surname first name", "name vorname",
    "name, vorname", "vorname name", "nombre y apellidos", "apellidos y nombre",
    "nome e cognome", "cognome e nome", "naam",
)
#: A form's name in two rows, its surname's and its given name's ("Nom : ROUSSEL" over
#: "Prénom : Sébastien"): the person the form is about (``party_blocks.split_names``).
SURNAME_LABELS: tuple[str, ...] = (
    "nom", "nom de famille", "nom de naissance", "nom d'usage", "nom usuel", "surname",
    "last name", "family name", "nachname", "familienname", "apellidos", "apellido",
    "cognome", "achternaam",
)
GIVEN_NAME_LABELS: tuple[str, ...] = (
    "prénom", "prénoms", "first name", "first names", "given name", "given names",
    "forename", "vorname", "vornamen", "nombre", "nome", "voornaam", "voornamen",
)
#: The form label of a party's name inside its block: "Name: Lieferant GmbH".
PARTY_NAME_LABELS: tuple[str, ...] = (
    "name", "firmenname", "firma", "unternehmen", "company name", "company", "business name",
    "trading name", "nom", "raison sociale", "dénomination", "société", "naam", "bedrijfsnaam",
    "bedrijf", "nombre", "razón social", "empresa", "nome", "ragione sociale", "denominazione",
)

#: Words a SIREN is printed after, in the legal mentions: "SIREN 732 829 320",
#: "N° SIREN : 732829320", "RCS Lyon B 732 829 320", "immatriculée au RCS de Paris sous le
#: numéro 732 829 320" (a town, a letter and a few words may stand between).
SIREN_LABELS: tuple[str, ...] = (
    "siren", "n° siren", "no siren", "numéro siren", "siren n°", "rcs", "r.c.s.", "r.c.s",
    "registre du commerce et des sociétés", "registre du commerce", "répertoire des métiers",
)

#: Words of a postal address, by what they name, in the languages the mailroom receives: a line
#: holding one with a number, or opening with one, is an address, not a name
#: (``layout_parties._address_like``). Street types, then the areas a street sits in
#: (housing estates, industrial zones, hamlets), then building parts.
STREET_WORDS: tuple[str, ...] = (
    # fr
    "rue", "avenue", "av.", "bd", "boulevard", "chemin", "allée", "place", "route", "impasse",
    "quai", "cours", "cedex", "bp", "cs",
    # en
    "street", "st", "road", "rd", "lane",
    # de, nl
    "strasse", "straße", "str.", "weg", "gasse", "straat", "laan",
    # es, it, pt
    "calle", "avenida", "paseo", "plaza", "via", "viale", "corso", "piazza", "piazzale", "rua",
    # ms (Malaysia, Indonesia): street, lane
    "jalan", "jln", "lorong", "lebuh", "persiaran",
)
AREA_WORDS: tuple[str, ...] = (
    # fr: housing estate, industrial / business zones, hamlet, place called
    "lotissement", "zi", "za", "zac", "hameau", "lieu-dit", "lieudit",
    # en
    "estate",
    # de, es, it
    "gewerbegebiet", "industriegebiet", "urbanización", "polígono", "località", "frazione",
)
# An area named in a language without a word here is still address by its place: between a
# street line and the postcode or telephone line (layout_parties._inside_address).
BUILDING_WORDS: tuple[str, ...] = ("no.", "no", "lot", "floor", "building", "étage", "bâtiment")

#: Legal forms that mark a line as a company name.
LEGAL_FORMS: tuple[str, ...] = (
    "sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "selarl", "scop", "gie", "ets",
    "établissements", "gmbh", "ag", "kg", "ug", "bv", "b.v.", "nv", "n.v.", "ltd", "ltd.",
    "limited", "llc", "inc", "inc.", "plc", "corp", "s.a.", "s.l.", "sl", "srl", "s.r.l.",
    "spa", "s.p.a.", "sdn bhd", "sdn. bhd.", "bhd", "enterprise", "trading", "company",
    "co.", "société", "garage", "hôtel", "hotel", "taxi", "pharmacie", "restaurant",
    "dépannage", "transports", "ambulances",
)
