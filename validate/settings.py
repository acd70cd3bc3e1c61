"""The validate component's settings: dossier matching, fraud signals, completeness requests.

Only pydantic models here, no machinery: :mod:`mailroom.settings` nests them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class DossierSettings(BaseModel):
    match_threshold: float = Field(
        default=0.80, description="A dossier is matched automatically only at or above this score."
    )
    match_margin: float = Field(
        default=0.15, description="... and only this far ahead of the runner-up; else ambiguous."
    )
    event_window_days: int = Field(
        default=180, description="A document dated this long after the event still fits it."
    )
    amount_tolerance_pct: float = Field(
        default=5.0,
        description="A provider invoice above the mission's agreed amount by more is an écart.",
    )
    amount_tolerance_abs: float = Field(
        default=2.0, description="... and by more than this many euros."
    )


class FraudSettings(BaseModel):
    enabled: bool = Field(
        default=True, description="Look for fraud signals (fraud.* checks) on every document."
    )
    image_max_distance: int = Field(
        default=10,
        description="Two pages whose perceptual hashes (64 bits, of the upright page's text "
        "area) differ by at most this many bits look alike.",
    )
    text_max_distance: int = Field(
        default=10,
        description="Two pages whose words' SimHashes (64 bits) differ by at most this many "
        "bits read alike.",
    )
    probe_bits: int = Field(
        default=1,
        ge=0,
        le=1,
        description="Bits flipped in each 16-bit band when looking up near hashes: 0 finds "
        "every hash within 3 bits for sure, 1 within 7 (and 17 times more index probes).",
    )
    same_text_similarity: float = Field(
        default=0.75,
        description="Share of words two documents have in common above which a page that "
        "looks alike is the same piece (and below which it is another piece on the same form).",
    )
    moddate_grace_hours: float = Field(
        default=24.0,
        description="A PDF modified more than this long after its creation counts as edited.",
    )
    weak_signals_for_warn: int = Field(
        default=2,
        description="How many weak signs of editing a PDF needs for a fraud.edited_pdf warn "
        "(later modification date, an editor as producer, one line in an odd font, text over "
        "a white rectangle, a revision that changes no word).",
    )
    editor_producers: tuple[str, ...] = Field(
        default=(
            "acrobat pro", "acrobat standard", "pdf-xchange editor", "foxit phantompdf",
            "foxit pdf editor", "foxit editor", "nitro pro", "nitro pdf", "pdfescape",
            "sejda", "ilovepdf", "smallpdf", "pdffiller", "pdfelement", "inkscape",
            "libreoffice draw", "master pdf editor", "pdf24 editor", "pdf expert",
            "pdf editor", "qoppa", "docfly",
        ),
        description="Producer or creator names (lower case, matched as whole words) of PDF "
        "editors rather than invoicing software.",
    )


class RequestSettings(BaseModel):
    delivery: Literal["outbox", "smtp"] = Field(
        default="outbox", description="Write completeness requests to files, or send them by SMTP."
    )
    outbox_dir: Path | None = Field(
        default=None, description="Where requests are written (default: <data_dir>/outbox)."
    )
    reminder_after_days: int = Field(
        default=15, description="A pending request is reminded (relance) after this many days."
    )
    sender: str = Field(
        default="Service remboursements <remboursements@assistance.example>",
        description="From: of the requests sent by e-mail.",
    )
    smtp_host: str = Field(default="localhost", description="SMTP server.")
    smtp_port: int = Field(default=25, description="SMTP port.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP link with STARTTLS.")
    smtp_user: str | None = Field(default=None, description="SMTP user, when it needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
