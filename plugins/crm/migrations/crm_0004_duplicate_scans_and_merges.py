"""duplicate scans and merges

Revision ID: crm_0004
Revises: crm_0003
Create Date: 2026-11-23 21:12:05.556181
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0004'
down_revision = 'crm_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crm_duplicate_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('pairs', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_crm_duplicate_scans_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_duplicate_scans'))
    )
    op.create_table('crm_duplicate_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('cluster', sa.Integer(), nullable=False),
    sa.Column('customer_a_id', sa.Integer(), nullable=False),
    sa.Column('customer_b_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['customer_a_id'], ['crm_customers.id'], name=op.f('fk_crm_duplicate_pairs_customer_a_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_b_id'], ['crm_customers.id'], name=op.f('fk_crm_duplicate_pairs_customer_b_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scan_id'], ['crm_duplicate_scans.id'], name=op.f('fk_crm_duplicate_pairs_scan_id_crm_duplicate_scans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_duplicate_pairs')),
    sa.UniqueConstraint('scan_id', 'customer_a_id', 'customer_b_id', name=op.f('uq_crm_duplicate_pairs_scan_id'))
    )
    with op.batch_alter_table('crm_duplicate_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_duplicate_pairs_cluster'), ['cluster'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_duplicate_pairs_scan_id'), ['scan_id'], unique=False)

    op.create_table('crm_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kept_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_crm_merges_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kept_id'], ['crm_customers.id'], name=op.f('fk_crm_merges_kept_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_id'], ['crm_customers.id'], name=op.f('fk_crm_merges_merged_id_crm_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_merges')),
    sa.UniqueConstraint('merged_id', name=op.f('uq_crm_merges_merged_id'))
    )
    with op.batch_alter_table('crm_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_merges_kept_id'), ['kept_id'], unique=False)



def downgrade():
    with op.batch_alter_table('crm_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_merges_kept_id'))

    op.drop_table('crm_merges')
    with op.batch_alter_table('crm_duplicate_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_duplicate_pairs_scan_id'))
        batch_op.drop_index(batch_op.f('ix_crm_duplicate_pairs_cluster'))

    op.drop_table('crm_duplicate_pairs')
    op.drop_table('crm_duplicate_scans')
