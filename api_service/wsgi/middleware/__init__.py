"""WSGI middleware; app.build_pipeline() lists the order in which a request meets them."""
