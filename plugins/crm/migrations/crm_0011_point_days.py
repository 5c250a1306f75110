"""point days

Report 1 summed every ledger row of its range per user: 250,000 for a month and 400,000 for a
year of 200 reps in `bench/crm_bench.py`, most of the page's time. `crm_point_days` holds each
user's points per Tehran calendar day, written with every ledger row
(`negotiations.add_point_days`); the report adds up one row per user and day. Filled here from the
ledger, each row's day taken in the Asia/Tehran zone as the report's date ranges are.

Revision ID: crm_0011
Revises: crm_0010
Create Date: 2026-11-24 03:30:00.000000
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

from core.jalali import TEHRAN  # the tzdata package's zone: no daylight saving since 2022

revision = 'crm_0011'
down_revision = 'crm_0010'
branch_labels = None
depends_on = None


def upgrade():
    days = op.create_table('crm_point_days',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_point_days_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_crm_point_days'))
    )
    op.create_index('ix_crm_point_days_day', 'crm_point_days', ['day', 'user_id', 'points'], unique=False)
    points = sa.table('crm_points', sa.column('user_id', sa.Integer()), sa.column('points', sa.Integer()),
                      sa.column('at', sa.DateTime()))
    totals = {}
    for user_id, value, at in op.get_bind().execute(sa.select(points.c.user_id, points.c.points, points.c.at)):
        key = (user_id, at.replace(tzinfo=dt.timezone.utc).astimezone(TEHRAN).date())
        totals[key] = totals.get(key, 0) + value
    rows = [dict(user_id=u, day=d, points=p) for (u, d), p in totals.items()]
    for i in range(0, len(rows), 5000):
        op.bulk_insert(days, rows[i:i + 5000])


def downgrade():
    op.drop_index('ix_crm_point_days_day', table_name='crm_point_days')
    op.drop_table('crm_point_days')
