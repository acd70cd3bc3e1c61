"""The review application's routers, one per page family (log-in, queue, documents, dossiers,
summary), included by :func:`review.app.create_app`."""
