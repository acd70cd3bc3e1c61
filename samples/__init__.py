"""Synthetic French back-office documents with their ground truth (see ``samples/README.md``)."""
