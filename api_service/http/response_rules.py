"""Two HTTP details where Flask's defaults differ from upstream Glance.

- Flask answers HEAD on every GET route. Upstream's router lists the methods of each Images
  API path and answers any other with 405 and an Allow header, HEAD included (there is no
  HEAD on an image, its data, a list or a schema). The health check (oslo.middleware's in
  upstream) and the version documents (answered whatever the method in upstream) keep it.
- A response without a body (204, 304) carries no Content-Type; Flask gives every response
  one (text/html by default).
"""

# Paths that keep the HEAD Flask adds to their GET.
HEAD_ALLOWED = frozenset(['/healthcheck', '/', '/versions'])
BODYLESS = (204, 304)


def drop_implicit_head(app):
    """Remove HEAD from every rule but HEAD_ALLOWED's (werkzeug then answers 405 with the
    rule's other methods in Allow)."""
    for rule in app.url_map.iter_rules():
        if rule.rule not in HEAD_ALLOWED and rule.methods and 'HEAD' in rule.methods:
            rule.methods.discard('HEAD')


def _no_content_type_without_body(response):
    if response.status_code in BODYLESS:
        response.headers.pop('Content-Type', None)
    return response


def register(app):
    """Call after every blueprint is registered."""
    drop_implicit_head(app)
    app.after_request(_no_content_type_without_body)
