"""quotes orders policies

Revision ID: crm_0007
Revises: crm_0006
Create Date: 2026-11-23 21:43:40.775097
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0007'
down_revision = 'crm_0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crm_discount_limits',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('max_percent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_crm_discount_limits_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_crm_discount_limits'))
    )
    op.create_table('crm_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('tier_mode', sa.String(length=12), nullable=False),
    sa.Column('loyal_min_purchase', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['crm_list_items.id'], name=op.f('fk_crm_policies_category_id_crm_list_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_crm_policies_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_policies'))
    )
    op.create_table('crm_price_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['crm_list_items.id'], name=op.f('fk_crm_price_lists_category_id_crm_list_items'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_price_lists')),
    sa.UniqueConstraint('name', name=op.f('uq_crm_price_lists_name'))
    )
    op.create_table('crm_price_list_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('price >= 0', name=op.f('ck_crm_price_list_items_price_non_negative')),
    sa.ForeignKeyConstraint(['price_list_id'], ['crm_price_lists.id'], name=op.f('fk_crm_price_list_items_price_list_id_crm_price_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_crm_price_list_items_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_price_list_items')),
    sa.UniqueConstraint('price_list_id', 'product_id', name=op.f('uq_crm_price_list_items_price_list_id'))
    )
    with op.batch_alter_table('crm_price_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_price_list_items_product_id'), ['product_id'], unique=False)

    op.create_table('crm_quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_crm_quotes_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_quotes_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_quotes_negotiation_id_crm_negotiations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['price_list_id'], ['crm_price_lists.id'], name=op.f('fk_crm_quotes_price_list_id_crm_price_lists'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_quotes')),
    sa.UniqueConstraint('number', 'version', name=op.f('uq_crm_quotes_number'))
    )
    with op.batch_alter_table('crm_quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_quotes_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_quotes_negotiation_id'), ['negotiation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_quotes_number'), ['number'], unique=False)

    op.create_table('crm_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('negotiation_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('allow_partial', sa.Boolean(), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_crm_orders_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_crm_orders_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_orders_customer_id_crm_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_orders_negotiation_id_crm_negotiations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_crm_orders_office_id_offices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['crm_quotes.id'], name=op.f('fk_crm_orders_quote_id_crm_quotes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_crm_orders_number')),
    sa.UniqueConstraint('quote_id', name=op.f('uq_crm_orders_quote_id'))
    )
    with op.batch_alter_table('crm_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_orders_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_orders_negotiation_id'), ['negotiation_id'], unique=False)
        batch_op.create_index('ix_crm_orders_status', ['status'], unique=False)

    op.create_table('crm_quote_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('list_price', sa.BigInteger(), nullable=False),
    sa.Column('adhoc_percent', sa.Integer(), nullable=False),
    sa.Column('gross', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('adjustments', sa.JSON(), nullable=False),
    sa.Column('approval', sa.String(length=10), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_crm_quote_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_crm_quote_lines_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_crm_quote_lines_product_id_products'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['quote_id'], ['crm_quotes.id'], name=op.f('fk_crm_quote_lines_quote_id_crm_quotes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_quote_lines'))
    )
    with op.batch_alter_table('crm_quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_quote_lines_quote_id'), ['quote_id'], unique=False)

    op.create_table('crm_order_effects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=12), nullable=False),
    sa.Column('plugin', sa.String(length=40), nullable=False),
    sa.Column('ref', sa.String(length=120), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['crm_orders.id'], name=op.f('fk_crm_order_effects_order_id_crm_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_order_effects'))
    )
    with op.batch_alter_table('crm_order_effects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_order_effects_order_id'), ['order_id'], unique=False)

    op.create_table('crm_order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('gross', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('cost_price', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_crm_order_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['crm_orders.id'], name=op.f('fk_crm_order_lines_order_id_crm_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_crm_order_lines_product_id_products'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_order_lines'))
    )
    with op.batch_alter_table('crm_order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_order_lines_order_id'), ['order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('crm_order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_order_lines_order_id'))

    op.drop_table('crm_order_lines')
    with op.batch_alter_table('crm_order_effects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_order_effects_order_id'))

    op.drop_table('crm_order_effects')
    with op.batch_alter_table('crm_quote_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_quote_lines_quote_id'))

    op.drop_table('crm_quote_lines')
    with op.batch_alter_table('crm_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_orders_status')
        batch_op.drop_index(batch_op.f('ix_crm_orders_negotiation_id'))
        batch_op.drop_index(batch_op.f('ix_crm_orders_customer_id'))

    op.drop_table('crm_orders')
    with op.batch_alter_table('crm_quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_quotes_number'))
        batch_op.drop_index(batch_op.f('ix_crm_quotes_negotiation_id'))
        batch_op.drop_index(batch_op.f('ix_crm_quotes_customer_id'))

    op.drop_table('crm_quotes')
    with op.batch_alter_table('crm_price_list_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_price_list_items_product_id'))

    op.drop_table('crm_price_list_items')
    op.drop_table('crm_price_lists')
    op.drop_table('crm_policies')
    op.drop_table('crm_discount_limits')
