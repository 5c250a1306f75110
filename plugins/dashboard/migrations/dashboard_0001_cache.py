"""dashboard cache

The figures of the managers' dashboard, cached per (audience, period, scope) with the time they
were computed (plugins/dashboard/models.py).

Revision ID: dashboard_0001
Revises: 
Create Date: 2026-11-23 22:38:08.300307
"""
import sqlalchemy as sa
from alembic import op

revision = 'dashboard_0001'
down_revision = None
branch_labels = ('dashboard',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('dashboard_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.String(length=64), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('user_ids', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('common', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_cache')),
    sa.UniqueConstraint('key', name=op.f('uq_dashboard_cache_key'))
    )
    with op.batch_alter_table('dashboard_cache', schema=None) as batch_op:
        batch_op.create_index('ix_dashboard_cache_computed_at', ['computed_at'], unique=False)



def downgrade():
    with op.batch_alter_table('dashboard_cache', schema=None) as batch_op:
        batch_op.drop_index('ix_dashboard_cache_computed_at')

    op.drop_table('dashboard_cache')
