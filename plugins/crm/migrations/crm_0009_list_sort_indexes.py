"""list sort indexes

The customer lists at 100,000 customers (`bench/crm_bench.py`): the default order (newest
registration first) sorted every visible customer to show 25, and the order by last activity
sorted them by a column of another table (the current negotiation's last entry, else its start).

- `crm_customers.registered_at` indexed (with the id the order breaks ties on), so the list walks
  it and stops at the page;
- `crm_customers.last_activity_at`: the current negotiation's last activity kept on the customer
  (written by `negotiations.sync_last_activity`), backfilled here, indexed the same way;
- report 1 counts negotiations started in a range per owner and stored status: a rep's
  negotiations (owner, status, …) now carry the start third, so SQLite reads them in group order
  (a skip-scan) instead of sorting 230,000 index entries for a year;
- the partial index of open negotiations also carries their (constant) status: report 1's stale
  count reads it, and SQLite only treats the index as covering (and picks it over a lookup per row
  from (status, window_end)) when every column read is in it;
- the points ledger by user and date now carries the points, so report 1 for a manager's users sums
  them from the index alone.

Revision ID: crm_0009
Revises: crm_0008
Create Date: 2026-11-24 03:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

OPEN = "status = 'negotiating'"
OPEN_COLUMNS = ['window_end', 'owner_id', 'office_id', 'window_start', 'last_entry_at', 'forecast_close', 'value',
                'probability', 'stage_id']

revision = 'crm_0009'
down_revision = 'crm_0008'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column without a default: a plain ALTER TABLE ADD COLUMN on both, no rebuild.
    op.add_column('crm_customers', sa.Column('last_activity_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE crm_customers SET last_activity_at = ("
               "SELECT COALESCE(n.last_entry_at, n.window_start) FROM crm_negotiations n "
               "WHERE n.id = crm_customers.current_negotiation_id)")
    op.create_index('ix_crm_customers_registered', 'crm_customers', ['registered_at', 'id'], unique=False)
    op.create_index('ix_crm_customers_activity', 'crm_customers', ['last_activity_at', 'id'], unique=False)
    op.drop_index('ix_crm_negotiations_owner_status', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_owner_status', 'crm_negotiations',
                    ['owner_id', 'status', 'window_start', 'office_id', 'window_end', 'id'], unique=False)
    op.drop_index('ix_crm_negotiations_open', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_open', 'crm_negotiations', OPEN_COLUMNS + ['status'], unique=False,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.drop_index('ix_crm_points_user_at', table_name='crm_points')
    op.create_index('ix_crm_points_user_at', 'crm_points', ['user_id', 'at', 'points'], unique=False)


def downgrade():
    op.drop_index('ix_crm_points_user_at', table_name='crm_points')
    op.create_index('ix_crm_points_user_at', 'crm_points', ['user_id', 'at'], unique=False)
    op.drop_index('ix_crm_negotiations_open', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_open', 'crm_negotiations', OPEN_COLUMNS, unique=False,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.drop_index('ix_crm_negotiations_owner_status', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_owner_status', 'crm_negotiations',
                    ['owner_id', 'status', 'office_id', 'window_end', 'id'], unique=False)
    op.drop_index('ix_crm_customers_activity', table_name='crm_customers')
    op.drop_index('ix_crm_customers_registered', table_name='crm_customers')
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.drop_column('last_activity_at')
