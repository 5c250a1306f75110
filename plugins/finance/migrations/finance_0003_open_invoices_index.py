"""open invoices index

Receivables on the managers' dashboard (`plugins/finance/kpis.py`) read only the open invoices
(not credited, paid < total): a partial index over them, carrying the columns the ageing sums,
so PostgreSQL answers with an index-only scan instead of reading every invoice (found with
EXPLAIN ANALYZE on 190,000 invoices, `bench/dashboard_bench.py`).

Revision ID: finance_0003
Revises: finance_0002
Create Date: 2026-11-24 00:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'finance_0003'
down_revision = 'finance_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_fin_invoices_open', 'fin_invoices', ['due_date', 'office_id', 'total', 'paid'], unique=False,
                    sqlite_where=sa.text("kind = 'invoice' AND credited = 0 AND paid < total"),
                    postgresql_where=sa.text("kind = 'invoice' AND credited IS false AND paid < total"))


def downgrade():
    op.drop_index('ix_fin_invoices_open', table_name='fin_invoices')
