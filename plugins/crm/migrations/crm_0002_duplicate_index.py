"""duplicate index

Revision ID: crm_0002
Revises: crm_0001
Create Date: 2026-11-23 21:04:53.943024
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0002'
down_revision = 'crm_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crm_match_key_counts',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_crm_match_key_counts'))
    )
    op.create_table('crm_match_keys',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_match_keys_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', 'customer_id', name=op.f('pk_crm_match_keys'))
    )
    with op.batch_alter_table('crm_match_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_match_keys_customer_id'), ['customer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('crm_match_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_match_keys_customer_id'))

    op.drop_table('crm_match_keys')
    op.drop_table('crm_match_key_counts')
