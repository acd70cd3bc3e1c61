"""An independent French test corpus, laid out without reading the extractor (see README.md)."""
