"""duplicate warnings

Revision ID: crm_0003
Revises: crm_0002
Create Date: 2026-11-23 21:08:19.404664
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0003'
down_revision = 'crm_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crm_duplicate_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('candidate_name', sa.String(length=200), nullable=False),
    sa.Column('candidate', sa.JSON(), nullable=False),
    sa.Column('matches', sa.JSON(), nullable=False),
    sa.Column('dismissed_at', sa.DateTime(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_duplicate_warnings_customer_id_crm_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_duplicate_warnings_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_duplicate_warnings'))
    )
    with op.batch_alter_table('crm_duplicate_warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_duplicate_warnings_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_duplicate_warnings_user_id'), ['user_id'], unique=False)

    op.create_table('crm_duplicate_warning_matches',
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_duplicate_warning_matches_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warning_id'], ['crm_duplicate_warnings.id'], name=op.f('fk_crm_duplicate_warning_matches_warning_id_crm_duplicate_warnings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('warning_id', 'customer_id', name=op.f('pk_crm_duplicate_warning_matches'))
    )
    with op.batch_alter_table('crm_duplicate_warning_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_duplicate_warning_matches_customer_id'), ['customer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('crm_duplicate_warning_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_duplicate_warning_matches_customer_id'))

    op.drop_table('crm_duplicate_warning_matches')
    with op.batch_alter_table('crm_duplicate_warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_duplicate_warnings_user_id'))
        batch_op.drop_index(batch_op.f('ix_crm_duplicate_warnings_customer_id'))

    op.drop_table('crm_duplicate_warnings')
