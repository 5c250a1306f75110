"""dashboard indexes

Covering indexes for the managers' dashboard (`plugins/crm/kpis.py`), found with EXPLAIN ANALYZE
on 1,000,000 negotiations and 200,000 orders (`bench/dashboard_bench.py`): every KPI query read
thousands of scattered heap pages for a few columns; with these, PostgreSQL answers them with
index-only scans.

- negotiations started in a range (report 1, win rate, funnel, cycle, leaderboard): the range
  index now carries owner, office, status, window end and close time (it replaces
  `ix_crm_negotiations_window_start`, which it contains);
- open negotiations (pipeline, weighted forecast, stale counts): a partial index over the open
  ones only, with the opportunity fields;
- orders confirmed in a period and the won negotiations they join (won value, profit, trend),
  and the amounts of their lines (profit);
- a rep's negotiations (`ix_crm_negotiations_owner_status`, same leading columns) now also carry
  office, window end and id: the visibility filter of a manager and the joins of points and cards;
  an office's negotiations the same (the dashboard filtered to an office);
- points by date (replaces `ix_crm_points_at`), with user, points and negotiation;
- leads created in a range (lead conversion), with owner, office and status.

Revision ID: crm_0008
Revises: crm_0007
Create Date: 2026-11-24 00:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'crm_0008'
down_revision = 'crm_0007'
branch_labels = None
depends_on = None

OPEN = "status = 'negotiating'"


def upgrade():
    # Plain CREATE / DROP INDEX: no table rebuild on SQLite.
    op.create_index('ix_crm_negotiations_started', 'crm_negotiations',
                    ['window_start', 'owner_id', 'office_id', 'status', 'window_end', 'closed_at'], unique=False)
    op.drop_index('ix_crm_negotiations_window_start', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_open', 'crm_negotiations',
                    ['window_end', 'owner_id', 'office_id', 'window_start', 'last_entry_at', 'forecast_close', 'value',
                     'probability', 'stage_id'], unique=False,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index('ix_crm_negotiations_status_id', 'crm_negotiations',
                    ['status', 'owner_id', 'office_id', 'window_end', 'id'], unique=False)
    op.drop_index('ix_crm_negotiations_owner_status', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_owner_status', 'crm_negotiations',
                    ['owner_id', 'status', 'office_id', 'window_end', 'id'], unique=False)
    op.create_index('ix_crm_negotiations_office_cover', 'crm_negotiations',
                    ['office_id', 'owner_id', 'status', 'window_end', 'id'], unique=False)
    op.create_index('ix_crm_points_at_user', 'crm_points', ['at', 'user_id', 'points', 'negotiation_id'], unique=False)
    op.drop_index('ix_crm_points_at', table_name='crm_points')
    op.create_index('ix_crm_orders_status_confirmed', 'crm_orders', ['status', 'confirmed_at', 'negotiation_id', 'total'],
                    unique=False)
    op.create_index('ix_crm_leads_created', 'crm_leads', ['created_at', 'owner_id', 'office_id', 'status'], unique=False)
    op.create_index('ix_crm_order_lines_order_amounts', 'crm_order_lines', ['order_id', 'net', 'cost_price', 'quantity'],
                    unique=False)


def downgrade():
    op.drop_index('ix_crm_order_lines_order_amounts', table_name='crm_order_lines')
    op.drop_index('ix_crm_leads_created', table_name='crm_leads')
    op.drop_index('ix_crm_orders_status_confirmed', table_name='crm_orders')
    op.create_index('ix_crm_points_at', 'crm_points', ['at'], unique=False)
    op.drop_index('ix_crm_points_at_user', table_name='crm_points')
    op.drop_index('ix_crm_negotiations_office_cover', table_name='crm_negotiations')
    op.drop_index('ix_crm_negotiations_owner_status', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_owner_status', 'crm_negotiations', ['owner_id', 'status'], unique=False)
    op.drop_index('ix_crm_negotiations_status_id', table_name='crm_negotiations')
    op.drop_index('ix_crm_negotiations_open', table_name='crm_negotiations')
    op.create_index('ix_crm_negotiations_window_start', 'crm_negotiations', ['window_start'], unique=False)
    op.drop_index('ix_crm_negotiations_started', table_name='crm_negotiations')
