"""A layout-randomised generator of word-level pages, to train and test the field rankers.

Unlike the other ``samples.synth`` generators, which draw PDFs and images, this one emits
:class:`mailroom.models.Page` objects directly (words with boxes, no rendering, no OCR), so that
thousands of documents cost seconds. Every document draws its own layout: the *family* says how
labels and values are arranged, and within it the label wordings (from the lexicon and a few
wordings it does not list), the columns, the date and amount styles, the order of the blocks
and the OCR-like noise are drawn per document.

Families (the unit of ``mailroom eval lofo``):

- ``inline``: "Label : value" on one line, sometimes two label/value pairs side by side;
- ``stacked``: the label on one line, its value on the next one;
- ``form``: a printed form, boxes of small labels with their values under them, some left
  empty ("Nom Prénom" with nothing written);
- ``prose``: running text ("certifie avoir examiné ce jour Madame ...", "la somme de ...");
- ``table``: a two-column table of labels and values, or column heads over a row of values;
- ``columns``: a header of two or three blocks side by side (sender, addressee, doctor,
  patient) and the rest inline.

``generate(seed, n)`` is deterministic: the same seed gives the same documents.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from mailroom.models import BBox, DocType, Page, Word
from samples.synth import fmt
from samples.synth.world import BANKS, CITIES, FIRST_NAMES, LAST_NAMES, STREETS

FAMILIES: tuple[str, ...] = ("inline", "stacked", "form", "prose", "table", "columns")
DOC_TYPES: tuple[DocType, ...] = (
    DocType.MEDICAL_CERTIFICATE, DocType.BANK_DETAILS, DocType.CLAIM_LETTER, DocType.INVOICE,
)
A4 = (595.0, 842.0)

# label wordings per role: the lexicon's and others seen on real French documents
_WORDINGS: dict[str, tuple[str, ...]] = {
    "patient": ("Patient", "Patient(e)", "Nom du patient", "Nom et prénom du patient",
                "Assuré", "Nom de l'assuré", "Bénéficiaire des soins", "Identité du patient",
                "Nom, prénom", "Malade", "Patient name", "Nom Prénom", "Nom et prénom",
                "NOM Prénom"),
    "doctor": ("Médecin", "Praticien", "Nom du médecin", "Identification du médecin",
               "Médecin prescripteur", "Docteur", "Praticien traitant", "Signataire"),
    "birth": ("Né(e) le", "Date de naissance", "Né le", "Née le", "Date de naiss.", "DDN",
              "Date of birth"),
    "issue": ("Fait le", "Date", "Établi le", "Date de l'examen", "Date de consultation",
              "Délivré le", "Le"),
    "start": ("Du", "À compter du", "Arrêt de travail du", "Date de début", "Début de l'arrêt",
              "Depuis le", "À partir du", "Arrêt du"),
    "end": ("Au", "Jusqu'au", "Date de fin", "Fin de l'arrêt", "Jusqu'au inclus",
            "Reprise prévue le"),
    "holder": ("Titulaire du compte", "Titulaire", "Intitulé du compte", "Nom du titulaire",
               "Account holder", "Bénéficiaire", "Au nom de", "Nom Prénom", "Nom"),
    "branch": ("Domiciliation", "Agence", "Banque", "Établissement", "Domiciliation bancaire"),
    "iban": ("IBAN", "Code IBAN", "N° IBAN", "IBAN (International Bank Account Number)"),
    "bic": ("BIC", "Code BIC", "BIC / SWIFT", "SWIFT"),
    "sender": ("Expéditeur", "De", "Nom", "Émetteur", "Demandeur", "Nom Prénom",
               "Nom et prénom de l'assuré"),
    "dossier": ("N° de dossier", "Dossier", "Réf. dossier", "Votre référence",
                "Référence dossier", "V/Réf."),
    "customer": ("Client", "Facturé à", "Adressé à", "Destinataire", "Nom du client",
                 "Bill to"),
    "amount": ("Montant demandé", "Montant réclamé", "Somme demandée", "Total des frais",
               "Montant à rembourser", "Montant"),
    "form_name": ("Nom Prénom", "Nom et prénom", "Nom / Prénom", "NOM Prénom"),
}
_CIVILITY = {"f": ("Madame", "Mme", "Mme."), "m": ("Monsieur", "M.", "M")}
_DOCTOR_TITLE = ("Dr", "Dr.", "Docteur", "Dr")
_SPECIALTIES = ("Médecin généraliste", "Médecine générale", "Rhumatologue",
                "Chirurgien orthopédiste", "Médecin du sport", "Médecin urgentiste")
_INSURERS = ("Mutuelle Assistance", "Assistance Plus", "Europ Secours", "Inter Assistance")
_CONFUSIONS = (("O", "0"), ("0", "O"), ("l", "1"), ("I", "l"), ("e", "c"), ("rn", "m"),
               ("S", "5"), ("B", "8"), ("é", "e"), ("è", "e"), ("É", "E"), ("a", "à"))


@dataclass(frozen=True)
class SynthDoc:
    """One generated document: its pages, type, layout family and expected fields."""

    doc_type: DocType
    family: str
    pages: tuple[Page, ...]
    truth: dict[str, str]


@dataclass
class _Canvas:
    """Places text on one page, word by word, with a box per word."""

    rng: random.Random
    scan: bool
    width: float = A4[0]
    height: float = A4[1]
    words: list[Word] = field(default_factory=list)
    line: int = 0

    def put(self, x: float, y: float, text: str, size: float = 10.0, *,
            same_line: bool = False) -> float:
        """Writes ``text`` from (x, y) (top of the line); returns the x where it ends.
        ``same_line``: the words go on the reader's line of the previous call."""
        if not same_line:
            self.line += 1
        pos = x
        for token in text.split():
            w = _char_width(token, size)
            self._word(token, pos, y, pos + w, y + size)
            pos += w + 0.28 * size
        return pos - 0.28 * size

    def _word(self, text: str, x0: float, y0: float, x1: float, y1: float) -> None:
        conf = 100.0
        if self.scan:
            jitter = self.rng.uniform(-0.6, 0.6)
            y0, y1 = y0 + jitter, y1 + jitter
            conf = self.rng.uniform(55.0, 97.0)
            r = self.rng.random()
            if r < 0.05 and len(text) > 5:  # a word read in two pieces
                cut = self.rng.randint(2, len(text) - 2)
                mid = x0 + (x1 - x0) * cut / len(text)
                self._add(text[:cut], x0, y0, mid - 0.5, y1, conf)
                self._add(text[cut:], mid + 1.5, y0, x1 + 1.0, y1, conf)
                return
            if r < 0.14:
                text = _confuse(self.rng, text)
                conf = min(conf, self.rng.uniform(40.0, 80.0))
        self._add(text, x0, y0, x1, y1, conf)

    def _add(self, text: str, x0: float, y0: float, x1: float, y1: float, conf: float) -> None:
        self.words.append(Word(text=text, bbox=BBox(x0=round(x0, 2), y0=round(y0, 2),
                                                     x1=round(x1, 2), y1=round(y1, 2)),
                               confidence=round(conf, 1), line=self.line, block=0))

    def page(self) -> Page:
        ordered = sorted(self.words, key=lambda w: (w.line, w.bbox.x0))
        lines: dict[int, list[str]] = {}
        for w in ordered:
            lines.setdefault(w.line, []).append(w.text)
        text = "\n".join(" ".join(ts) for ts in lines.values())
        conf = sum(w.confidence for w in ordered) / len(ordered) if self.scan and ordered \
            else None
        return Page(number=1, width=self.width, height=self.height, text=text,
                    words=tuple(ordered), text_source="ocr" if self.scan else "pdf_text",
                    ocr_confidence=conf)


def _char_width(token: str, size: float) -> float:
    return sum((0.66 if ch.isupper() else 0.3 if ch in "il.,:;'!|" else 0.5) * size
               for ch in token)


def _confuse(rng: random.Random, text: str) -> str:
    options = [(a, b) for a, b in _CONFUSIONS if a in text]
    if not options:
        return text
    a, b = rng.choice(options)
    i = text.index(a)
    return text[:i] + b + text[i + len(a):]


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if unicodedata.category(ch) != "Mn")


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    gender: str

    def printed(self, rng: random.Random) -> str:
        style = rng.random()
        if style < 0.4:
            return f"{self.first} {self.last}"
        if style < 0.75:
            return f"{self.last} {self.first}"
        if style < 0.9:
            return f"{self.first} {self.last.capitalize()}"
        return f"{self.first.upper()} {self.last}"


def _person(rng: random.Random) -> _Person:
    first, gender = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    if rng.random() < 0.15:
        last = f"{last}-{rng.choice(LAST_NAMES)}"
    return _Person(first, last, gender)


def _label(rng: random.Random, role: str, *, colon: bool | None = None) -> str:
    text = rng.choice(_WORDINGS[role])
    if rng.random() < 0.25:
        text = text.upper()
    if rng.random() < 0.1:
        text = _strip_accents(text)
    if colon is None:
        colon = rng.random() < 0.75
    return f"{text} :" if colon else text


def _address(rng: random.Random) -> tuple[str, str]:
    city, postcode = rng.choice(CITIES)
    return f"{rng.randint(1, 120)} {rng.choice(STREETS)}", f"{postcode} {city}"


def _date(rng: random.Random, d: date) -> str:
    return fmt.fmt_date(d, fmt.pick_date_style(rng))


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class _Item:
    """A label/value pair of the document; ``role`` names the label's wording family."""

    role: str
    value: str
    truth: str | None = None  # the field this value is, if any


@dataclass
class _Plan:
    header_left: list[str] = field(default_factory=list)
    header_right: list[str] = field(default_factory=list)
    header_third: list[str] = field(default_factory=list)
    title: str = ""
    items: list[_Item] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    rows: list[list[tuple[float, str]]] = field(default_factory=list)  # (x share, text)
    indent: float = 0.0  # of the right header block's lines under its first one
    truth: dict[str, str] = field(default_factory=dict)
    empty_form_labels: int = 0


def _medical(rng: random.Random, family: str) -> _Plan:
    doctor, patient = _person(rng), _person(rng)
    doc_name = doctor.printed(rng)
    pat_name = patient.printed(rng)
    title = rng.choice(_DOCTOR_TITLE)
    issue = date(2026, 1, 1) + timedelta(days=rng.randint(0, 330))
    birth = date(rng.randint(1945, 2008), rng.randint(1, 12), rng.randint(1, 28))
    start = issue + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
    end = start + timedelta(days=rng.randint(2, 30))
    with_stop = rng.random() < 0.75
    street, town = _address(rng)
    civ = rng.choice(_CIVILITY[patient.gender])
    p = _Plan(truth={"practitioner_name": doc_name, "patient_name": pat_name,
                     "issue_date": issue.isoformat()})
    p.header_left = [f"{title} {doc_name}", rng.choice(_SPECIALTIES), street, town,
                     f"RPPS {rng.randint(10000000000, 10999999999)}"]
    p.title = rng.choice(("CERTIFICAT MÉDICAL", "Avis d'arrêt de travail",
                          "Certificat médical initial", "CERTIFICAT DE CONSTATATION"))
    if with_stop:
        p.truth["incapacity_start"] = start.isoformat()
        p.truth["incapacity_end"] = end.isoformat()
    if family == "prose":
        p.prose = [
            f"Je soussigné(e), {title} {doc_name}, certifie avoir examiné ce jour "
            f"{civ} {pat_name}, {rng.choice(('né(e) le', 'né le', 'née le'))} "
            f"{_date(rng, birth)}, demeurant {_address(rng)[0]}.",
            "L'examen clinique met en évidence une entorse nécessitant du repos.",
        ]
        if with_stop:
            p.prose.append(rng.choice((
                f"Un arrêt de travail est prescrit du {_date(rng, start)} au "
                f"{_date(rng, end)} inclus.",
                f"Son état nécessite un arrêt de travail à compter du {_date(rng, start)} "
                f"jusqu'au {_date(rng, end)}.",
            )))
        p.prose.append(f"Fait à {town.split(' ', 1)[1]}, le {_date(rng, issue)}")
        return p
    if rng.random() < 0.5:
        p.header_right = [f"{civ} {pat_name}", _address(rng)[0], _address(rng)[1]]
        p.items.append(_Item("patient", pat_name, "patient_name"))
    else:
        p.items.append(_Item("patient", f"{civ} {pat_name}" if rng.random() < 0.4
                             else pat_name, "patient_name"))
    p.items.append(_Item("birth", _date(rng, birth)))
    if rng.random() < 0.5:
        p.items.insert(0, _Item("doctor", doc_name, "practitioner_name"))
    if rng.random() < 0.3:
        p.rows = [[(0.0, rng.choice(("Identification de l'assuré", "Identification du patient",
                                     "PATIENT", "Assuré(e)")))]]
    if with_stop:
        p.items.append(_Item("start", _date(rng, start), "incapacity_start"))
        p.items.append(_Item("end", _date(rng, end), "incapacity_end"))
    p.items.append(_Item("issue", _date(rng, issue), "issue_date"))
    if family == "form":
        p.empty_form_labels = rng.randint(1, 2)
    p.footer = [f"Fait à {town.split(' ', 1)[1]}, le {_date(rng, issue)}"] \
        if rng.random() < 0.4 else []
    if rng.random() < 0.3:
        p.footer.append(f"{title} {doc_name} - signature et cachet")
    if rng.random() < 0.4:
        p.prose = ["L'examen clinique met en évidence une lésion justifiant des soins.",
                   f"Patient(e) né(e) le {_date(rng, birth)}." if rng.random() < 0.5
                   else "Certificat remis en main propre pour servir et valoir ce que de droit."]
    return p


def _rib(rng: random.Random, family: str) -> _Plan:
    holder = _person(rng)
    name = holder.printed(rng)
    if rng.random() < 0.5:
        name = name.upper()
    bank_code, bank, bic = rng.choice(BANKS)
    city, _ = rng.choice(CITIES)
    digits = "".join(str(rng.randint(0, 9)) for _ in range(18))
    iban = f"FR76{bank_code}{digits}"
    iban_print = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    civ = rng.choice(_CIVILITY[holder.gender]) + " " if rng.random() < 0.3 else ""
    p = _Plan(truth={"account_holder": name})
    p.header_left = [bank, f"Agence {city.upper()}"]
    p.title = rng.choice(("RELEVÉ D'IDENTITÉ BANCAIRE", "RIB", "Relevé d'identité bancaire",
                          "IBAN - Identifiant international de compte"))
    street, town = _address(rng)
    branch = f"{bank.upper()} {city.upper()}" if rng.random() < 0.6 else f"{bank} {city}"
    if family == "prose":
        p.prose = [f"Ce relevé est destiné à être remis à vos créanciers ou débiteurs "
                   f"pour le compte de {civ}{name}.",
                   f"Domiciliation {branch}"]
        p.items = [_Item("iban", iban_print), _Item("bic", bic)]
        return p
    p.items = [_Item("holder", f"{civ}{name}", "account_holder"),
               _Item("branch", branch), _Item("iban", iban_print), _Item("bic", bic)]
    if rng.random() < 0.5:
        p.header_right = [f"{civ}{name}", street, town]
    if rng.random() < 0.5:  # the domiciliation first
        p.items[0], p.items[1] = p.items[1], p.items[0]
    if rng.random() < 0.25:
        # two columns: the domiciliation heading and its bank on the left, the holder's
        # name and address on the right, read on the same lines as the heading
        p.items = [it for it in p.items if it.role in ("iban", "bic")]
        p.header_right = []
        right = rng.uniform(0.15, 0.55)
        p.rows = [[(0.0, rng.choice(("Domiciliation", "DOMICILIATION", "Domiciliation :"))),
                   (right, f"{civ}{name}")], [(0.0, branch), (right, street)],
                  [(right, town)]]
    return p


def _claim(rng: random.Random, family: str) -> _Plan:
    sender = _person(rng)
    name = sender.printed(rng)
    amount = fmt.money(Decimal(rng.randint(2000, 250000)) / 100)
    style = fmt.pick_amount_style(rng)
    printed = fmt.fmt_amount(amount, style)
    other = fmt.fmt_amount(fmt.money(Decimal(rng.randint(1000, 90000)) / 100), style)
    ref = f"AST-2026-{rng.randint(1000, 9999):06d}"
    street, town = _address(rng)
    insurer = rng.choice(_INSURERS)
    today = date(2026, 1, 1) + timedelta(days=rng.randint(0, 330))
    p = _Plan(truth={"sender_name": name, "requested_amount": fmt.norm_amount(amount)})
    civ = rng.choice(_CIVILITY[sender.gender]) + " " if rng.random() < 0.3 else ""
    p.header_left = [f"{civ}{name}", street, town]
    p.header_right = [insurer, rng.choice(("Service Remboursements", "Service Sinistres")),
                      *_address(rng)]
    p.title = f"{town.split(' ', 1)[1]}, le {_date(rng, today)}"
    phrase = rng.choice((
        f"je vous prie de bien vouloir me rembourser la somme de {printed} que j'ai avancée.",
        f"je sollicite le remboursement de {printed} correspondant aux frais engagés.",
        f"je vous demande le remboursement d'un montant de {printed} au titre de ma garantie.",
        f"les frais, pour un montant de {printed}, restent à ma charge.",
    ))
    p.prose = [
        f"Objet : demande de remboursement, dossier {ref}",
        "Madame, Monsieur,",
        f"Suite à l'intervention du dépanneur facturée {other} (franchise comprise), "
        if rng.random() < 0.5 else "Suite à mon accident de la semaine dernière,",
        phrase,
        "Vous trouverez ci-joint les justificatifs.",
        rng.choice(("Cordialement,", "Veuillez agréer mes salutations distinguées.")),
        name,
    ]
    if family in ("table", "form", "stacked", "inline", "columns") and rng.random() < 0.6:
        p.items = [_Item("dossier", ref), _Item("amount", printed, "requested_amount")]
        if rng.random() < 0.5:
            p.items.insert(0, _Item("sender", name, "sender_name"))
    return p


def _invoice(rng: random.Random, family: str) -> _Plan:
    customer = _person(rng)
    name = customer.printed(rng)
    city, _ = rng.choice(CITIES)
    supplier = rng.choice(("Garage", "Dépannage", "Hôtel", "Taxi")) + " " + \
        rng.choice(LAST_NAMES).capitalize() + " " + rng.choice(("SARL", "SAS", "EURL"))
    if rng.random() < 0.35:  # the assistance company is billed, not a person
        name = rng.choice(_INSURERS)
        if rng.random() < 0.4:
            name = name.upper()
    p = _Plan(truth={"customer_name": name})
    street, town = _address(rng)
    p.header_left = [supplier, street, town, f"SIRET {rng.randint(10**13, 10**14 - 1)}"]
    p.title = f"FACTURE N° F{rng.randint(1000, 99999)}"
    civ = rng.choice(_CIVILITY[customer.gender]) + " " if rng.random() < 0.3 else ""
    if rng.random() < 0.5:
        p.header_right = [f"{civ}{name}", *_address(rng)]
        if rng.random() < 0.4:  # the addressee block under its heading, maybe indented
            p.header_right.insert(0, _label(rng, "customer"))
            p.indent = rng.choice((0.0, 25.0, 60.0))
        p.items = [_Item("customer", name, "customer_name")] if rng.random() < 0.3 else []
    else:
        p.items = [_Item("customer", f"{civ}{name}", "customer_name")]
    total = fmt.money(Decimal(rng.randint(3000, 90000)) / 100)
    p.items.append(_Item("amount", fmt.fmt_amount(total, fmt.pick_amount_style(rng))))
    p.footer = [f"{supplier} au capital de 10 000 € - RCS {city}"]
    return p


_PLANS = {
    DocType.MEDICAL_CERTIFICATE: _medical,
    DocType.BANK_DETAILS: _rib,
    DocType.CLAIM_LETTER: _claim,
    DocType.INVOICE: _invoice,
}


# --------------------------------------------------------------------------- layout


def _lay_out(rng: random.Random, plan: _Plan, family: str, scan: bool) -> Page:
    cv = _Canvas(rng=rng, scan=scan)
    size = rng.choice((9.0, 10.0, 10.0, 11.0))
    lead = size * rng.uniform(1.35, 1.8)
    margin = rng.uniform(40.0, 70.0)
    y = rng.uniform(40.0, 70.0)
    # the header: one, two or three blocks side by side
    blocks = [b for b in (plan.header_left, plan.header_right, plan.header_third) if b]
    if family == "columns" and len(blocks) < 3 and rng.random() < 0.5:
        blocks.append(["Tél. 0" + "".join(str(rng.randint(0, 9)) for _ in range(9)),
                       "contact@" + rng.choice(("cabinet", "banque", "mail")) + ".fr"])
    if rng.random() < 0.3 and family != "columns":
        blocks = list(reversed(blocks))  # the addressee on the left, the sender on the right
    slots = [margin, cv.width * 0.55] if len(blocks) <= 2 else \
        [margin, cv.width * 0.38, cv.width * 0.68]
    block_y = y
    bottom = y
    for x, block in zip(slots, blocks, strict=False):
        yy = block_y + (rng.uniform(0, 40) if x > margin else 0.0)
        for i, line in enumerate(block):
            dx = plan.indent if i and block is plan.header_right else 0.0
            cv.put(x + dx, yy, line, size + (2 if i == 0 and rng.random() < 0.5 else 0))
            yy += lead
        bottom = max(bottom, yy)
    y = bottom + lead
    if plan.title:
        cv.put(rng.uniform(margin, cv.width * 0.3), y, plan.title, size + rng.choice((2, 4)))
        y += 2 * lead
    if family in ("prose",) or not plan.items:
        y = _prose(cv, plan.prose, margin, y, size, lead)
    for parts in plan.rows:
        for k, (share, text) in enumerate(parts):
            cv.put(margin + share * (cv.width - 2 * margin), y, text, size, same_line=k > 0)
        y += lead
    y = _items(rng, cv, plan, family, margin, y, size, lead)
    if family != "prose" and plan.items and plan.prose:
        y = _prose(cv, plan.prose, margin, y + lead, size, lead)
    for line in plan.footer:
        cv.put(margin, max(y + lead, cv.height - rng.uniform(60, 120)), line, size - 1)
        y += lead
    return cv.page()


def _prose(cv: _Canvas, paragraphs: Sequence[str], x: float, y: float, size: float,
           lead: float) -> float:
    """Running text wrapped to the page's width, a value split over two lines now and then."""
    right = cv.width - x
    for para in paragraphs:
        line: list[str] = []
        for token in para.split():
            trial = " ".join([*line, token])
            if line and x + _char_width(trial, size) + 0.28 * size * len(line) > right:
                cv.put(x, y, " ".join(line), size)
                y += lead
                line = []
            line.append(token)
        if line:
            cv.put(x, y, " ".join(line), size)
            y += lead
        y += 0.4 * lead
    return y


def _items(rng: random.Random, cv: _Canvas, plan: _Plan, family: str, x: float, y: float,
           size: float, lead: float) -> float:
    items = list(plan.items)
    if not items:
        return y
    if family == "prose":
        family = "inline"
    if family in ("inline", "columns"):
        pair = rng.random() < 0.35 and len(items) >= 2
        i = 0
        while i < len(items):
            it = items[i]
            end = cv.put(x, y, _label(rng, it.role), size)
            cv.put(end + rng.uniform(4, 40), y, it.value, size, same_line=True)
            if pair and i + 1 < len(items):  # a second pair on the same line, right half
                nxt = items[i + 1]
                end = cv.put(cv.width * 0.55, y, _label(rng, nxt.role), size)
                cv.put(end + rng.uniform(4, 20), y, nxt.value, size, same_line=True)
                i += 1
            y += lead
            i += 1
        return y
    if family == "stacked":
        for it in items:
            cv.put(x, y, _label(rng, it.role), size - 1)
            y += lead * 0.9
            cv.put(x + rng.choice((0.0, 0.0, 12.0, 40.0)), y, it.value, size)
            y += lead * 1.3
        return y
    if family == "form":
        col_w = (cv.width - 2 * x) / 2
        cells: list[tuple[str, str]] = [(_label(rng, it.role, colon=False), it.value)
                                        for it in items]
        for _ in range(plan.empty_form_labels):
            cells.insert(rng.randint(0, len(cells)), (rng.choice(_WORDINGS["form_name"]), ""))
        for k, (lab, value) in enumerate(cells):
            cx = x + (k % 2) * col_w
            if k % 2 == 0 and k:
                y += 2.6 * lead
            cv.put(cx + 3, y, lab, size - 2)
            if value:
                cv.put(cx + 6, y + lead, value, size)
        return y + 3 * lead
    if family == "table":
        if rng.random() < 0.5:  # label column and value column
            col = x + rng.uniform(150, 230)
            for it in items:
                cv.put(x, y, _label(rng, it.role, colon=False), size)
                cv.put(col, y, it.value, size, same_line=True)
                y += lead * 1.2
            return y + lead
        # column heads over one row of values
        heads = items[:3]
        col_w = (cv.width - 2 * x) / len(heads)
        for k, it in enumerate(heads):
            cv.put(x + k * col_w, y, _label(rng, it.role, colon=False), size - 1)
        y += lead * 1.2
        for k, it in enumerate(heads):
            cv.put(x + k * col_w, y, it.value, size)
        y += 2 * lead
        rest = _Plan(items=items[3:])
        return _items(rng, cv, rest, "inline", x, y, size, lead)
    return y


def generate_one(seed: int | str, family: str | None = None,
                 doc_type: DocType | None = None) -> SynthDoc:
    """One document drawn from ``seed`` (a family and a type drawn too unless given)."""
    rng = random.Random(f"layouts-{seed}")
    family = family or rng.choice(FAMILIES)
    doc_type = doc_type or rng.choice(DOC_TYPES)
    plan = _PLANS[doc_type](rng, family)
    scan = rng.random() < 0.5
    page = _lay_out(rng, plan, family, scan)
    return SynthDoc(doc_type=doc_type, family=family, pages=(page,), truth=dict(plan.truth))


def generate(seed: int, n: int, *, families: Sequence[str] = FAMILIES,
             doc_types: Sequence[DocType] = DOC_TYPES) -> list[SynthDoc]:
    """``n`` documents, the families and types taken in turn (so every one is present)."""
    out: list[SynthDoc] = []
    for i in range(n):
        family = families[i % len(families)]
        doc_type = doc_types[(i // len(families)) % len(doc_types)]
        out.append(generate_one(f"{seed}-{i}", family, doc_type))
    return out
