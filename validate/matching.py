"""Which dossier a document belongs to.

Every key the document offers is evidence for some dossiers: a dossier reference (in a field,
anywhere in its text or in the e-mail's subject, read tolerantly: O/0, I/L/1, S/5, B/8, Z/2, G/6
and missing dashes or spaces), the policy number, the vehicle plate, the beneficiary's name
(fuzzy, rapidfuzz, weighed by the event date window), the provider's SIRET against the
dossier's missions, the e-mail sender against the beneficiary's address, an amount equal to a
mission's agreed amount, a document date close to the event. Each piece of evidence has a
weight; a dossier's score is their noisy-OR, ``1 - Π(1 - w)``, so independent keys add up
while none but a dossier reference reaches the threshold alone.

The decision prefers review to a wrong automatic match, the worst error this product can make:

* ``matched`` only when the best candidate scores at least ``match_threshold``, leads the
  runner-up by ``match_margin``, is open, and no other candidate holds an identifying key
  (reference, plate, policy, e-mail address) that the best one lacks;
* otherwise ``ambiguous`` (ranked candidates, top 5) or, with no real candidate, ``unmatched``.

A closed dossier is never matched automatically: it is listed with a reason saying so.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email.utils import parseaddr
from typing import Literal

from rapidfuzz import fuzz, process

from mailroom.models import Document, ExtractedField, Match, MatchCandidate
from mailroom.records import Dossier, Mission
from validate.settings import DossierSettings

log = logging.getLogger(__name__)

# Weights of each kind of evidence (see the module's docstring for how they combine).
W_REFERENCE = 0.97
W_REFERENCE_OCR = 0.90
W_PLATE = 0.75
W_POLICY = 0.70
W_EMAIL = 0.70
W_EMAIL_PRINTED = 0.65
W_MISSION = 0.85  # provider SIRET and agreed amount of the same mission
W_SIRET = 0.45
W_AMOUNT = 0.25
W_NAME = 0.55  # an exact name inside the event window; less when fuzzier or outside
W_NAME_NO_DATE = 0.50
W_NAME_OUT_OF_WINDOW = 0.20
W_DATE_NEAR = 0.35
NAME_MIN_SIMILARITY = 85.0
DATE_NEAR_BEFORE = timedelta(days=1)
DATE_NEAR_AFTER = timedelta(days=10)
WINDOW_BEFORE = timedelta(days=7)
UNMATCHED_BELOW = 0.35
TOP_CANDIDATES = 5

IDENTIFYING = frozenset({"reference", "plate", "policy", "email"})

NAME_FIELDS = ("customer_name", "patient_name", "account_holder", "sender_name")
DATE_FIELDS = ("invoice_date", "receipt_date", "issue_date", "incapacity_start")
AMOUNT_FIELDS = ("total_incl_tax", "requested_amount")

_TITLES = frozenset(
    {
        "m",
        "mr",
        "mme",
        "mlle",
        "mr.",
        "monsieur",
        "madame",
        "mademoiselle",
        "dr",
        "docteur",
        "pr",
        "professeur",
        "m.",
        "mme.",
        "et",
    }
)

# OCR confusions, folded to one canonical character.
_CANON = str.maketrans(
    {"O": "0", "Q": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")
_JOINER_RE = re.compile(r"[\s\-./_]{1,3}")
_EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_MAX_TOKENS = 7
_MIN_KEY_LEN = 6


@dataclass(frozen=True)
class Evidence:
    kind: str  # reference, policy, plate, name, siret, mission, amount, email, date
    weight: float
    reason: str


@dataclass
class _Candidate:
    dossier: Dossier
    evidence: dict[str, Evidence] = field(default_factory=dict)

    def add(self, ev: Evidence) -> None:
        old = self.evidence.get(ev.kind)
        if old is None or ev.weight > old.weight:
            self.evidence[ev.kind] = ev

    @property
    def score(self) -> float:
        if "mission" in self.evidence:  # the mission already counts its SIRET and amount
            kept = [e for k, e in self.evidence.items() if k not in ("siret", "amount")]
        else:
            kept = list(self.evidence.values())
        rest = 1.0
        for ev in kept:
            rest *= 1.0 - ev.weight
        return round(1.0 - rest, 4)

    @property
    def identifying(self) -> frozenset[str]:
        return frozenset(self.evidence) & IDENTIFYING

    def reasons(self) -> tuple[str, ...]:
        ordered = sorted(self.evidence.values(), key=lambda e: -e.weight)
        out = [e.reason for e in ordered]
        if not self.dossier.is_open:
            out.append("dossier clos : jamais rapproché automatiquement")
        return tuple(out)


# --------------------------------------------------------------------------- text keys


def compact(text: str) -> str:
    """Upper case, letters and digits only (``ast-2026 004217`` → ``AST2026004217``)."""
    return "".join(ch for ch in _fold(text).upper() if ch.isascii() and ch.isalnum())


def canonical(text: str) -> str:
    """:func:`compact` with OCR look-alikes folded (``A5T-2O26`` and ``AST-2026`` agree)."""
    return compact(text).translate(_CANON)


def _fold(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def _spans(text: str) -> Iterator[str]:
    """Every run of 1 to 7 consecutive tokens joined by short separators on one line, compacted:
    the places a key can be printed, with or without dashes."""
    for line in text.splitlines():
        tokens = list(_TOKEN_RE.finditer(line))
        for i in range(len(tokens)):
            joined = tokens[i].group()
            yield joined.upper()
            for j in range(i + 1, min(i + _MAX_TOKENS, len(tokens))):
                gap = line[tokens[j - 1].end() : tokens[j].start()]
                if not _JOINER_RE.fullmatch(gap):
                    break
                joined += tokens[j].group()
                if len(joined) > 30:
                    break
                yield joined.upper()


@dataclass(frozen=True)
class _Key:
    kind: str  # reference, policy, plate
    dossier_index: int
    printed: str  # as the dossier has it


class DossierIndex:
    """The dossiers' keys, ready for look-up: build it once per batch of documents.

    :func:`match_document` accepts it in place of the dossier list; given a list, it builds
    (and keeps, while the same dossier objects are passed again) the index itself.
    """

    def __init__(self, dossiers: Sequence[Dossier]) -> None:
        self.dossiers: tuple[Dossier, ...] = tuple(dossiers)
        self.text_keys: dict[str, list[_Key]] = {}
        self.emails: dict[str, list[int]] = {}
        self.missions_by_siret: dict[str, list[tuple[int, Mission]]] = {}
        self.missions_by_siren: dict[str, list[tuple[int, Mission]]] = {}
        self.missions_by_amount: dict[Decimal, list[tuple[int, Mission]]] = {}
        self.names: list[str] = []
        for i, d in enumerate(self.dossiers):
            for kind, value in (
                ("reference", d.dossier_id),
                ("policy", d.policy_number),
                ("plate", d.vehicle_registration),
            ):
                if value and len(compact(value)) >= _MIN_KEY_LEN:
                    self.text_keys.setdefault(canonical(value), []).append(_Key(kind, i, value))
            if d.beneficiary.email:
                self.emails.setdefault(d.beneficiary.email.strip().casefold(), []).append(i)
            for m in d.missions:
                if m.provider_siret:
                    self.missions_by_siret.setdefault(m.provider_siret, []).append((i, m))
                    siren = compact(m.provider_siret)[:9]
                    self.missions_by_siren.setdefault(siren, []).append((i, m))
                if m.agreed_amount is not None:
                    self.missions_by_amount.setdefault(m.agreed_amount, []).append((i, m))
            self.names.append(_name_tokens(d.beneficiary.full_name))


_LAST_INDEX: list[tuple[tuple[int, ...], DossierIndex]] = []


def index_for(dossiers: Sequence[Dossier] | DossierIndex) -> DossierIndex:
    """``dossiers`` as an index, reusing the last one built for the very same objects (the
    cache holds them, so their ids cannot be reused meanwhile; dossiers are frozen)."""
    if isinstance(dossiers, DossierIndex):
        return dossiers
    ids = tuple(id(d) for d in dossiers)
    if _LAST_INDEX and _LAST_INDEX[0][0] == ids:
        return _LAST_INDEX[0][1]
    index = DossierIndex(dossiers)
    _LAST_INDEX[:] = [(ids, index)]
    return index


def _where(page: int | None, subject: bool = False) -> str:
    if subject:
        return "dans l'objet de l'e-mail"
    return f"page {page}" if page else "dans le texte"


def _key_evidence(key: _Key, exact: bool, where: str) -> Evidence:
    if key.kind == "reference":
        weight = W_REFERENCE if exact else W_REFERENCE_OCR
        label = f"référence de dossier {key.printed} {where}"
    elif key.kind == "policy":
        weight = W_POLICY if exact else W_POLICY - 0.05
        label = f"n° de contrat {key.printed} {where}"
    else:
        weight = W_PLATE if exact else W_PLATE - 0.05
        label = f"immatriculation {key.printed} {where}"
    if not exact:
        label += " (lecture tolérante)"
    return Evidence(key.kind, weight, label)


# --------------------------------------------------------------------------- names, dates


def _name_tokens(name: str) -> str:
    words = re.split(r"[\s,;]+", _fold(name).casefold().replace("-", " ").replace("'", " "))
    return " ".join(w for w in words if w and w.strip(".") not in _TITLES and w not in _TITLES)


def name_similarity(a: str, b: str) -> float:
    """0-100, word order and accents ignored (``PERRIN Émilie`` = ``Émilie Perrin``)."""
    left, right = _name_tokens(a), _name_tokens(b)
    if not left or not right:
        return 0.0
    return float(fuzz.token_sort_ratio(left, right))


def _doc_dates(doc: Document) -> list[date]:
    dates = [f.value for n in DATE_FIELDS if (f := doc.fields.get(n)) and isinstance(f.value, date)]
    if not dates and doc.source.email and doc.source.email.date:
        dates.append(doc.source.email.date.date())
    return dates


def _in_window(d: date, dossier: Dossier, settings: DossierSettings) -> bool:
    if dossier.event_date is None:
        return True
    start = dossier.event_date - WINDOW_BEFORE
    return start <= d <= dossier.event_date + timedelta(days=settings.event_window_days)


def _doc_names(doc: Document) -> list[tuple[str, str]]:
    names = [
        (n, f.value) for n in NAME_FIELDS if (f := doc.fields.get(n)) and isinstance(f.value, str)
    ]
    if doc.source.email and doc.source.email.from_:
        display, _ = parseaddr(doc.source.email.from_)
        if display.strip():
            names.append(("email_display", display))
    return names


_NAME_SOURCES = {
    "customer_name": "client de la facture",
    "patient_name": "patient",
    "account_holder": "titulaire du compte",
    "sender_name": "expéditeur du courrier",
    "email_display": "expéditeur de l'e-mail",
}


def _amounts(doc: Document) -> list[Decimal]:
    return [
        f.value
        for n in AMOUNT_FIELDS
        if (f := doc.fields.get(n)) is not None and isinstance(f.value, Decimal)
    ]


# --------------------------------------------------------------------------- matching


def _field_value(f: ExtractedField | None) -> str | None:
    return f.value if f is not None and isinstance(f.value, str) and f.value.strip() else None


_Add = Callable[[int], _Candidate]  # the candidate of a dossier (by index), made on first use


def gather_candidates(
    doc: Document, dossiers: Sequence[Dossier] | DossierIndex, settings: DossierSettings
) -> list[tuple[Dossier, float, tuple[Evidence, ...], tuple[str, ...]]]:
    """Every dossier some key points at, with its score, evidence and reasons, best first."""
    index = index_for(dossiers)
    all_dossiers = index.dossiers
    cands: dict[int, _Candidate] = {}

    def cand(i: int) -> _Candidate:
        if i not in cands:
            cands[i] = _Candidate(all_dossiers[i])
        return cands[i]

    _key_evidence_of(doc, index, cand)
    _email_evidence(doc, index, cand)
    _provider_evidence(doc, index, cand)
    dates = _doc_dates(doc)
    _name_evidence(doc, index, settings, dates, cand)
    _date_evidence(cands.values(), dates)
    ranked = sorted(cands.values(), key=lambda c: (-c.score, c.dossier.dossier_id))
    return [
        (c.dossier, c.score, tuple(c.evidence.values()), c.reasons())
        for c in ranked
        # A date alone says nothing: it only ever adds to another key.
        if set(c.evidence) - {"date"}
    ]


def _key_evidence_of(doc: Document, index: DossierIndex, cand: _Add) -> None:
    """Dossier reference, policy number, plate: fields, then every page's text and the
    e-mail's subject."""
    keys = index.text_keys
    field_kinds = {
        "dossier_reference": "reference",
        "policy_number": "policy",
        "vehicle_registration": "plate",
    }
    for name, kind in field_kinds.items():
        f = doc.fields.get(name)
        value = _field_value(f)
        if value is None or f is None:
            continue
        for key in keys.get(canonical(value), []):
            if key.kind == kind:
                exact = compact(value) == compact(key.printed)
                cand(key.dossier_index).add(_key_evidence(key, exact, _where(f.page)))
    texts: list[tuple[str, str]] = [(p.text, _where(p.number)) for p in doc.pages]
    if doc.source.email and doc.source.email.subject:
        texts.append((doc.source.email.subject, _where(None, subject=True)))
    for text, where in texts:
        seen: set[str] = set()
        for span in _spans(text):
            if span in seen:
                continue
            seen.add(span)
            for key in keys.get(span.translate(_CANON), []):
                exact = span == compact(key.printed)
                cand(key.dossier_index).add(_key_evidence(key, exact, where))


def _email_evidence(doc: Document, index: DossierIndex, cand: _Add) -> None:
    """The e-mail's sender, and any address printed on the document (a letter's heading),
    against the beneficiary's address."""
    if doc.source.email and doc.source.email.from_:
        _, address = parseaddr(doc.source.email.from_)
        address = address.strip().casefold()
        for i in index.emails.get(address, []) if address else []:
            cand(i).add(Evidence("email", W_EMAIL, f"e-mail de l'expéditeur {address}"))
    for page in doc.pages:
        for found in _EMAIL_RE.findall(page.text):
            found = found.casefold().rstrip(".")
            for i in index.emails.get(found, []):
                cand(i).add(
                    Evidence(
                        "email",
                        W_EMAIL_PRINTED,
                        f"e-mail du bénéficiaire {found} {_where(page.number)}",
                    )
                )


def _provider_evidence(doc: Document, index: DossierIndex, cand: _Add) -> None:
    """Provider SIRET against the missions (or, where the invoice prints only its SIREN, the
    SIRET's first 9 digits), amounts against the agreed amounts."""
    siret = _field_value(doc.fields.get("supplier_siret"))
    siret = compact(siret) if siret else None
    siren = _field_value(doc.fields.get("supplier_siren"))
    siren = compact(siren) if siren and not siret else None
    amounts = set(_amounts(doc))
    if siret:
        by_siret = index.missions_by_siret.get(siret, [])
    else:
        by_siret = index.missions_by_siren.get(siren, []) if siren else []
    by_provider = {id(m) for _, m in by_siret}
    key_name = "SIRET" if siret else "SIREN"
    for i, m in by_siret:
        name = m.provider_name or m.provider_siret or m.mission_id
        if m.agreed_amount is not None and m.agreed_amount in amounts:
            cand(i).add(
                Evidence(
                    "mission",
                    W_MISSION,
                    f"mission {m.mission_id} : prestataire {name} et montant convenu "
                    f"{m.agreed_amount} €",
                )
            )
        cand(i).add(
            Evidence("siret", W_SIRET,
                     f"{key_name} du prestataire {name} (mission {m.mission_id})")
        )
    for amount in amounts:
        for i, m in index.missions_by_amount.get(amount, []):
            if id(m) in by_provider:
                continue
            cand(i).add(
                Evidence(
                    "amount",
                    W_AMOUNT,
                    f"montant égal au montant convenu de la mission "
                    f"{m.mission_id} ({m.agreed_amount} €)",
                )
            )


def _name_evidence(
    doc: Document, index: DossierIndex, settings: DossierSettings, dates: list[date], cand: _Add
) -> None:
    """The beneficiary's name, weighed by the event window."""
    best_names: dict[int, tuple[float, str]] = {}
    for source, printed in _doc_names(doc):
        query = _name_tokens(printed)
        if not query:
            continue
        for _, sim, i in process.extract(
            query,
            index.names,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=NAME_MIN_SIMILARITY,
            limit=None,
        ):
            if i not in best_names or sim > best_names[i][0]:
                best_names[i] = (float(sim), source)
    for i, (sim, source) in best_names.items():
        d = index.dossiers[i]
        scale = 0.5 + 0.5 * (sim - NAME_MIN_SIMILARITY) / (100.0 - NAME_MIN_SIMILARITY)
        label = f"nom du bénéficiaire ({sim:.0f} %, {_NAME_SOURCES[source]})"
        if not dates:
            weight = W_NAME_NO_DATE * scale
        elif any(_in_window(x, d, settings) for x in dates):
            weight = W_NAME * scale
        else:
            weight = W_NAME_OUT_OF_WINDOW * scale
            label += " mais document daté hors de la période de l'événement"
        cand(i).add(Evidence("name", round(weight, 4), label))


def _date_evidence(candidates: Iterable[_Candidate], dates: list[date]) -> None:
    """A document date close to the event (it only ever adds to another key)."""
    for c in candidates:
        event = c.dossier.event_date
        if event is None:
            continue
        near = [x for x in dates if event - DATE_NEAR_BEFORE <= x <= event + DATE_NEAR_AFTER]
        if near:
            delta = (near[0] - event).days
            c.add(
                Evidence(
                    "date",
                    W_DATE_NEAR,
                    f"document daté du {near[0].strftime('%d/%m/%Y')}, J{delta:+d} de l'événement",
                )
            )


def match_document(
    doc: Document, dossiers: Sequence[Dossier] | DossierIndex, settings: DossierSettings
) -> Match:
    """The dossier this document belongs to, or the candidates a person must choose from."""
    ranked = gather_candidates(doc, dossiers, settings)
    candidates = tuple(
        MatchCandidate(dossier_id=d.dossier_id, score=round(score, 3), reasons=reasons)
        for d, score, _, reasons in ranked[:TOP_CANDIDATES]
    )
    if not ranked:
        return Match(status="unmatched")
    best, best_score, best_ev, _ = ranked[0]
    runner_score = ranked[1][1] if len(ranked) > 1 else 0.0
    best_keys = {e.kind for e in best_ev} & IDENTIFYING
    conflict = [
        d.dossier_id
        for d, _, ev, _ in ranked[1:]
        if ({e.kind for e in ev} & IDENTIFYING) - best_keys
    ]
    if (
        best.is_open
        and best_score >= settings.match_threshold
        and best_score - runner_score >= settings.match_margin
        and not conflict
    ):
        return Match(
            status="matched",
            dossier_id=best.dossier_id,
            score=round(best_score, 3),
            candidates=candidates,
        )
    if conflict:
        log.debug("%s: keys point at other dossiers too: %s", doc.document_id, conflict)
    status: Literal["ambiguous", "unmatched"] = (
        "unmatched" if best_score < UNMATCHED_BELOW else "ambiguous"
    )
    return Match(status=status, score=round(best_score, 3), candidates=candidates)
