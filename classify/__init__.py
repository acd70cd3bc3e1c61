"""classify stage: what kind of document it is.

``classify.model.classify_pages(pages, classifier)`` is the entry; ``SklearnClassifier`` is the
shipped model behind the ``classify.base.Classifier`` Protocol, ``FixedClassifier`` its fake;
``classify.train.main`` retrains it (``mailroom train``).
"""
