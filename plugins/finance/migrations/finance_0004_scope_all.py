"""finance scope all

`finance.view` showed every office's books to everyone who held it, an office's sales managers
included: invoices, accounts and receipts of customers another office sells to (a won customer
the CRM hides from them). Now `finance.scope_all` is needed for the whole company's books;
without it a user sees their own office's (`plugins/finance/services/scope.py`).

Groups that kept the books before keep them: every group holding `finance.view` that also
records receipts (`finance.receipts`) or is the administrators', finance staff's or inspectors'
default group gets `finance.scope_all`. Other groups holding `finance.view` (the sales managers'
default group, and groups made by hand) now see their own office's books; an administrator can
grant them `finance.scope_all` on the groups screen.

Revision ID: finance_0004
Revises: finance_0003
Create Date: 2026-11-24 06:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'finance_0004'
down_revision = 'finance_0003'
branch_labels = None
depends_on = None

groups = sa.table('groups', sa.column('id', sa.Integer()), sa.column('role', sa.String()))
grants = sa.table('group_permissions', sa.column('group_id', sa.Integer()), sa.column('permission', sa.String()))


def upgrade():
    conn = op.get_bind()
    holding = lambda name: set(conn.execute(  # noqa: E731
        sa.select(grants.c.group_id).where(grants.c.permission == name)).scalars())
    viewers = holding('finance.view')
    staff = set(conn.execute(sa.select(groups.c.id).where(
        groups.c.role.in_(('administrator', 'finance', 'inspector')))).scalars())
    chosen = sorted(viewers & (holding('finance.receipts') | staff) - holding('finance.scope_all'))
    if chosen:
        op.bulk_insert(grants, [{'group_id': g, 'permission': 'finance.scope_all'} for g in chosen])


def downgrade():
    op.execute(grants.delete().where(grants.c.permission == 'finance.scope_all'))
