"""The ingest component's settings: the drop-folder watcher, the IMAP watcher, the scan splitter.

Only pydantic models here, no machinery: :mod:`mailroom.settings` nests them without loading the
watchers (``import extract.reader`` must not start an IMAP client).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from mailroom.models import Channel, DocType, SplitMode


class FolderRoute(BaseModel):
    """What a top-level subfolder of the drop folder says about the files put in it."""

    model_config = {"frozen": True}

    channel: Channel = Field(default="scan", description="Channel recorded for its files.")
    doc_type: DocType | None = Field(
        default=None,
        description="Default document type of its files: taken when the classifier is not "
        "confident of another (e.g. a 'factures' folder).",
    )
    split: SplitMode | None = Field(
        default=None,
        description="How the scan stacks put in it are cut into documents: separators, auto "
        "or off (default: the split settings' mode).",
    )


class FolderWatchSettings(BaseModel):
    """``MAILROOM_WATCH__*``: the drop-folder watcher."""

    mode: Literal["events", "polling"] = Field(
        default="events",
        description="Native file events (inotify...) or polling (network shares miss events).",
    )
    poll_interval_s: float = Field(
        default=5.0, gt=0, description="In polling mode, seconds between two scans of the tree."
    )
    rescan_interval_s: float = Field(
        default=300.0,
        gt=0,
        description="In events mode, seconds between safety scans of the whole tree.",
    )
    stable_delay_s: float = Field(
        default=5.0,
        ge=0,
        description="A file is taken once its size and mtime have not changed for this long.",
    )
    processed_dir: Path | None = Field(
        default=None,
        description="Where processed originals go (default <DIR>/processed); never watched.",
    )
    quarantine_dir: Path | None = Field(
        default=None,
        description="Where quarantined originals go (default <DIR>/quarantine); never watched.",
    )
    default_channel: Channel = Field(
        default="scan", description="Channel of files outside any routed subfolder."
    )
    routes: dict[str, FolderRoute] = Field(
        default_factory=dict,
        description='Top-level subfolder name -> route, e.g. {"email-export": {"channel": '
        '"email"}}.',
    )
    retry_max_s: float = Field(
        default=300.0, gt=0, description="Longest wait before retrying a file storage refused."
    )


class ImapSettings(BaseModel):
    """``MAILROOM_IMAP__*``: the mailbox the IMAP watcher reads."""

    host: str = Field(default="localhost", description="IMAP server host name.")
    port: int | None = Field(
        default=None, description="IMAP port (default 993 with ssl, 143 otherwise)."
    )
    security: Literal["ssl", "starttls", "none"] = Field(
        default="ssl",
        description="Implicit TLS, STARTTLS upgrade, or none (loopback test servers only).",
    )
    verify_tls: bool = Field(default=True, description="Check the server's certificate.")
    ca_file: Path | None = Field(default=None, description="CA bundle for a private server CA.")
    user: str = Field(default="", description="IMAP login.")
    password: SecretStr = Field(default=SecretStr(""), description="IMAP password (never logged).")
    folder: str = Field(default="INBOX", description="Folder watched (ASCII name).")
    mark: Literal["keyword", "seen", "move"] = Field(
        default="keyword",
        description="How a stored message is marked: a keyword, \\Seen, or a move to done_folder.",
    )
    done_keyword: str = Field(default="$MailroomDone", description="Keyword when mark=keyword.")
    done_folder: str = Field(default="Mailroom/Done", description="Folder when mark=move.")
    failed_keyword: str = Field(
        default="$MailroomFailed", description="Keyword set on a message set aside."
    )
    failed_folder: str | None = Field(
        default=None, description="Folder a message set aside is moved to (kept in place if unset)."
    )
    max_tries: int = Field(
        default=5, ge=1, description="A message the pipeline fails on this often is set aside."
    )
    retry_base_s: float = Field(
        default=30.0, ge=0, description="First retry delay of a failed message; doubles each try."
    )
    retry_max_s: float = Field(default=3600.0, gt=0, description="Longest retry delay.")
    idle: bool = Field(default=True, description="Use IDLE when the server has it; else poll.")
    idle_timeout_s: float = Field(
        default=600.0, gt=0, description="IDLE is renewed after this long (RFC 2177: < 29 min)."
    )
    poll_interval_s: float = Field(
        default=60.0, gt=0, description="Seconds between two looks when not idling."
    )
    reconnect_max_s: float = Field(
        default=300.0, gt=0, description="Longest wait between two reconnection attempts."
    )
    timeout_s: float = Field(default=60.0, gt=0, description="Socket timeout of one command.")


class SplitSettings(BaseModel):
    """``MAILROOM_SPLIT__*``: how a scanned stack is cut into documents."""

    mode: SplitMode = Field(
        default="auto",
        description="separators: cut only at separator sheets; auto: at separator sheets when "
        "the stack has some, else on the pages' evidence (scans only); off: one file is one "
        "document.",
    )
    separator: str = Field(
        default="PATCHT",
        min_length=1,
        description="Barcode value of a separator sheet (Code 128, QR or Data Matrix); a value "
        "starting with it and a dossier reference ('PATCHT AST-2026-004217') also assigns the "
        "next document to that dossier.",
    )
    unsure_margin: float = Field(
        default=1.0,
        ge=0,
        description="A boundary (or its absence) that scores less than this far above the "
        "opposite decision is unsure: the stack's documents go to review.",
    )
    new_document_cost: float = Field(
        default=0.5,
        description="Score a page must gather before it starts a new document on evidence "
        "alone (higher: fewer, longer documents).",
    )
    max_document_pages: int = Field(
        default=40, ge=1, description="Longest document the evidence split considers."
    )
    blank_max_words: int = Field(
        default=3, ge=0, description="A page with at most this many words read may be blank..."
    )
    blank_max_ink: float = Field(
        default=0.004,
        ge=0,
        le=1,
        description="... and is blank when at most this share of its image is dark.",
    )
