"""inventory tables

Revision ID: inventory_0001
Revises: 
Create Date: 2026-11-23 22:03:10.873995
"""
import sqlalchemy as sa
from alembic import op

revision = 'inventory_0001'
down_revision = None
branch_labels = ('inventory',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('inv_product_settings',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('reorder_level', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_inv_product_settings_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_inv_product_settings'))
    )
    op.create_table('inv_warehouses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_inv_warehouses_office_id_offices'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inv_warehouses')),
    sa.UniqueConstraint('code', name=op.f('uq_inv_warehouses_code')),
    sa.UniqueConstraint('name', name=op.f('uq_inv_warehouses_name'))
    )
    with op.batch_alter_table('inv_warehouses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_warehouses_office_id'), ['office_id'], unique=False)

    op.create_table('inv_stock',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.BigInteger(), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_inv_stock_on_hand_non_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_inv_stock_no_oversell')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_inv_stock_reserved_non_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_inv_stock_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inv_warehouses.id'], name=op.f('fk_inv_stock_warehouse_id_inv_warehouses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'warehouse_id', name=op.f('pk_inv_stock'))
    )
    op.create_table('inv_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('order_ref', sa.String(length=120), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inv_issues_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_inv_issues_party_id_parties'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inv_warehouses.id'], name=op.f('fk_inv_issues_warehouse_id_inv_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inv_issues')),
    sa.UniqueConstraint('number', name=op.f('uq_inv_issues_number'))
    )
    with op.batch_alter_table('inv_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_issues_order_ref'), ['order_ref'], unique=False)

    op.create_table('inv_reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_ref', sa.String(length=120), nullable=False),
    sa.Column('order_number', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('issued', sa.BigInteger(), nullable=False),
    sa.Column('released', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('issued + released <= quantity', name=op.f('ck_inv_reservations_within_quantity')),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_inv_reservations_party_id_parties'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_inv_reservations_product_id_products'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inv_warehouses.id'], name=op.f('fk_inv_reservations_warehouse_id_inv_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inv_reservations'))
    )
    with op.batch_alter_table('inv_reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_reservations_order_ref'), ['order_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_reservations_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_reservations_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('inv_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=14), nullable=False),
    sa.Column('on_hand_delta', sa.BigInteger(), nullable=False),
    sa.Column('reserved_delta', sa.BigInteger(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('ref', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=400), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inv_moves_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issue_id'], ['inv_issues.id'], name=op.f('fk_inv_moves_issue_id_inv_issues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_inv_moves_product_id_products'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reservation_id'], ['inv_reservations.id'], name=op.f('fk_inv_moves_reservation_id_inv_reservations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inv_warehouses.id'], name=op.f('fk_inv_moves_warehouse_id_inv_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inv_moves'))
    )
    with op.batch_alter_table('inv_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inv_moves_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_moves_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index('ix_inv_moves_product_warehouse', ['product_id', 'warehouse_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inv_moves_reservation_id'), ['reservation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('inv_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_moves_reservation_id'))
        batch_op.drop_index('ix_inv_moves_product_warehouse')
        batch_op.drop_index(batch_op.f('ix_inv_moves_issue_id'))
        batch_op.drop_index(batch_op.f('ix_inv_moves_at'))

    op.drop_table('inv_moves')
    with op.batch_alter_table('inv_reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_reservations_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_inv_reservations_party_id'))
        batch_op.drop_index(batch_op.f('ix_inv_reservations_order_ref'))

    op.drop_table('inv_reservations')
    with op.batch_alter_table('inv_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_issues_order_ref'))

    op.drop_table('inv_issues')
    op.drop_table('inv_stock')
    with op.batch_alter_table('inv_warehouses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inv_warehouses_office_id'))

    op.drop_table('inv_warehouses')
    op.drop_table('inv_product_settings')
