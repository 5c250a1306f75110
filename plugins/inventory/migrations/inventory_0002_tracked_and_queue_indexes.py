"""tracked products and queue indexes

Products that are not kept in stock (services, licences) reserve nothing; the warehouse queue
reads only open reservations; a warehouse's movement history has its own index.

Revision ID: inventory_0002
Revises: inventory_0001
Create Date: 2026-11-23 22:22:33.736376
"""
import sqlalchemy as sa
from alembic import op

revision = 'inventory_0002'
down_revision = 'inventory_0001'
branch_labels = None
depends_on = None

OPEN = 'quantity > issued + released'


def upgrade():
    # Plain ALTER TABLE ADD COLUMN and CREATE INDEX: no table rebuild on SQLite.
    op.add_column('inv_product_settings', sa.Column('tracked', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_index('ix_inv_moves_warehouse', 'inv_moves', ['warehouse_id', 'id'], unique=False)
    op.create_index('ix_inv_reservations_open', 'inv_reservations', ['warehouse_id', 'id'], unique=False,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    op.drop_index('ix_inv_reservations_open', table_name='inv_reservations')
    op.drop_index('ix_inv_moves_warehouse', table_name='inv_moves')
    with op.batch_alter_table('inv_product_settings') as batch_op:
        batch_op.drop_column('tracked')
