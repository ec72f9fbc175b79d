from registry_service import images


def new_image(db, ctxt, properties=None, tags=None, **values):
    values.setdefault('owner', ctxt.owner)
    return images.create(db, ctxt, values, properties or {}, tags or [])


def ready_image(db, ctxt, **values):
    """A queued image whose formats are set, ready for an upload."""
    values.setdefault('disk_format', 'raw')
    values.setdefault('container_format', 'bare')
    return new_image(db, ctxt, **values)
