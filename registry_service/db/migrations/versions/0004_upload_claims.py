"""Who holds an upload: images.upload_token and images.upload_holder.

begin_upload records a token chosen for this one upload and the api worker receiving it;
renew, finish and abort that name the token are refused once the image was handed back
(lease swept, worker reported dead), and release_uploads returns every upload of a dead
worker to queued at once. Both are NULL outside ``saving`` (and for uploads begun by an api
before RPC 1.5, which names neither).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('images', sa.Column('upload_token', sa.String(64), nullable=True))
    op.add_column('images', sa.Column('upload_holder', sa.String(255), nullable=True))


def downgrade():
    # Uploads in progress keep their lease; only the claim on them is forgotten (the api's
    # token-less calls are the pre-1.5 behaviour).
    op.drop_column('images', 'upload_holder')
    op.drop_column('images', 'upload_token')
