"""category limit names, receipts by date

The name of a customer category as the CRM showed it when its credit limit was set (finance
may not read the CRM's lists); receipts are listed by date.

Revision ID: finance_0002
Revises: finance_0001
Create Date: 2026-11-24 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'finance_0002'
down_revision = 'finance_0001'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ADD COLUMN and CREATE INDEX: no table rebuild on SQLite.
    op.add_column('fin_category_limits', sa.Column('name', sa.String(length=120), server_default='', nullable=False))
    op.create_index('ix_fin_receipts_received_on', 'fin_receipts', ['received_on', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_fin_receipts_received_on', table_name='fin_receipts')
    with op.batch_alter_table('fin_category_limits') as batch_op:
        batch_op.drop_column('name')
