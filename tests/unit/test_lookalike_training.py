"""The training material against invoices' look-alikes: the generator's look-alikes (typed
``other``, drawn per document, with their telling words), and the augmentation that never adds
a cut of a look-alike that lost those words as an example of ``other``."""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from classify.features import lookalike_terms  # noqa: E402
from classify.train import augment  # noqa: E402
from mailroom.models import DocType  # noqa: E402
from samples.synth.lookalike import LOOKALIKE_VARIANTS, build_lookalike  # noqa: E402
from samples.synth.page import register_fonts  # noqa: E402
from samples.synth.world import build_world  # noqa: E402


def test_each_lookalike_is_typed_other_and_carries_its_telling_words() -> None:
    families, _ = register_fonts()
    world = build_world(7)
    texts: dict[str, set[str]] = {}
    for variant in LOOKALIKE_VARIANTS:
        for i in range(4):
            rng = random.Random(f"t:{variant}:{i}")
            built = build_lookalike(rng, families, variant, world.people[i], world.providers[i])
            assert built.doc_type == "other" and built.fields == {}
            text = "\n".join(built.pages_text())
            assert lookalike_terms(text) > 0, (variant, text)
            assert any(ch.isdigit() for ch in text)  # prices, dates, numbers like an invoice
            texts.setdefault(variant, set()).add(text)
    # drawn per document: no two of a kind alike
    assert all(len(v) == 4 for v in texts.values())


def test_a_lookalike_cut_without_its_telling_words_is_not_an_example_of_other() -> None:
    quote = "\n".join([
        "Garage Martin", "12 rue du Lac 69003 Lyon", "DEVIS N° D-0412",
        "Pare-chocs avant 1 312,00", "Peinture 1 185,50", "Total HT 497,50",
        "TVA 20 % 99,50", "Total TTC 597,00", "Bon pour accord, date et signature",
    ])
    invoice = quote.replace("DEVIS", "FACTURE").replace("Bon pour accord, date et signature",
                                                        "Règlement par virement")
    out = augment([(quote, DocType.OTHER), (invoice, DocType.INVOICE)], seed=1, short_share=1.0,
                  crop_share=1.0, fragment_share=1.0, column_share=1.0)
    others = [t for t, d in out if d is DocType.OTHER]
    assert others and all(lookalike_terms(t) for t in others)
    # an invoice's cuts are all kept
    assert sum(d is DocType.INVOICE for _, d in out) >= 5
