"""The validate stage: a document against the open dossiers.

``dossiers`` (import format and loading), ``matching`` (which dossier), ``checks`` (business
checks with stable codes, see docs/checks.md), ``ged`` (GED entries and searchable PDFs),
``completeness`` (demandes de pièces and their delivery), ``report`` (tableau de synthèse),
``evaluate_matching`` (matching measured against known truth). ``base`` holds the Protocols.
"""
