"""report indexes

Revision ID: crm_0006
Revises: crm_0005
Create Date: 2026-11-23 21:37:20.994129
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0006'
down_revision = 'crm_0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('crm_negotiations', schema=None) as batch_op:
        batch_op.create_index('ix_crm_negotiations_window_start', ['window_start'], unique=False)

    with op.batch_alter_table('crm_points', schema=None) as batch_op:
        batch_op.create_index('ix_crm_points_at', ['at'], unique=False)



def downgrade():
    with op.batch_alter_table('crm_points', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_points_at')

    with op.batch_alter_table('crm_negotiations', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_negotiations_window_start')

