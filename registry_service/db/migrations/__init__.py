"""Alembic environment and revisions of the image database (see registry_service.db.migration)."""
