"""The review web application: gestionnaires see, correct, match and approve documents.

``create_app`` (in :mod:`review.app`) builds the FastAPI application; ``mailroom review``
serves it and ``mailroom users`` manages its accounts (:mod:`review.cli`).
"""
