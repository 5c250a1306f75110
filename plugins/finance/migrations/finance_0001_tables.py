"""finance tables

Revision ID: finance_0001
Revises: 
Create Date: 2026-11-23 22:21:17.996313
"""
from alembic import op
import sqlalchemy as sa


revision = 'finance_0001'
down_revision = None
branch_labels = ('finance',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('fin_category_limits',
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('limit', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('category_id', name=op.f('pk_fin_category_limits'))
    )
    op.create_table('fin_sequences',
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('fiscal_year', 'kind', name=op.f('pk_fin_sequences'))
    )
    op.create_table('fin_credit_limits',
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('limit', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_fin_credit_limits_party_id_parties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('party_id', name=op.f('pk_fin_credit_limits'))
    )
    op.create_table('fin_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('order_ref', sa.String(length=120), nullable=False),
    sa.Column('order_number', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('credit_of_id', sa.Integer(), nullable=True),
    sa.Column('credited', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['credit_of_id'], ['fin_invoices.id'], name=op.f('fk_fin_invoices_credit_of_id_fin_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_fin_invoices_office_id_offices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_fin_invoices_party_id_parties'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fin_invoices')),
    sa.UniqueConstraint('kind', 'fiscal_year', 'number', name=op.f('uq_fin_invoices_kind')),
    sa.UniqueConstraint('kind', 'order_ref', name='uq_fin_invoices_one_per_order')
    )
    with op.batch_alter_table('fin_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fin_invoices_party_id'), ['party_id'], unique=False)
        batch_op.create_index('ix_fin_invoices_party_issued', ['party_id', 'issued_at'], unique=False)

    op.create_table('fin_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('cheque_number', sa.String(length=40), nullable=False),
    sa.Column('cheque_bank', sa.String(length=80), nullable=False),
    sa.Column('cheque_due', sa.Date(), nullable=True),
    sa.Column('cheque_status', sa.String(length=10), nullable=True),
    sa.Column('notes', sa.String(length=400), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_fin_receipts_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_fin_receipts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_fin_receipts_party_id_parties'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fin_receipts')),
    sa.UniqueConstraint('fiscal_year', 'number', name=op.f('uq_fin_receipts_fiscal_year'))
    )
    with op.batch_alter_table('fin_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fin_receipts_cheque_due'), ['cheque_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_fin_receipts_party_id'), ['party_id'], unique=False)

    op.create_table('fin_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_fin_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['fin_invoices.id'], name=op.f('fk_fin_allocations_invoice_id_fin_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['receipt_id'], ['fin_receipts.id'], name=op.f('fk_fin_allocations_receipt_id_fin_receipts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fin_allocations'))
    )
    with op.batch_alter_table('fin_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fin_allocations_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fin_allocations_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('fin_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=14), nullable=False),
    sa.Column('debit', sa.BigInteger(), nullable=False),
    sa.Column('credit', sa.BigInteger(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['fin_invoices.id'], name=op.f('fk_fin_entries_invoice_id_fin_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_fin_entries_party_id_parties'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['receipt_id'], ['fin_receipts.id'], name=op.f('fk_fin_entries_receipt_id_fin_receipts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fin_entries'))
    )
    with op.batch_alter_table('fin_entries', schema=None) as batch_op:
        batch_op.create_index('ix_fin_entries_party_at', ['party_id', 'at'], unique=False)

    op.create_table('fin_invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['fin_invoices.id'], name=op.f('fk_fin_invoice_lines_invoice_id_fin_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_fin_invoice_lines_product_id_products'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fin_invoice_lines'))
    )
    with op.batch_alter_table('fin_invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fin_invoice_lines_invoice_id'), ['invoice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('fin_invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fin_invoice_lines_invoice_id'))

    op.drop_table('fin_invoice_lines')
    with op.batch_alter_table('fin_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_fin_entries_party_at')

    op.drop_table('fin_entries')
    with op.batch_alter_table('fin_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fin_allocations_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_fin_allocations_invoice_id'))

    op.drop_table('fin_allocations')
    with op.batch_alter_table('fin_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fin_receipts_party_id'))
        batch_op.drop_index(batch_op.f('ix_fin_receipts_cheque_due'))

    op.drop_table('fin_receipts')
    with op.batch_alter_table('fin_invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_fin_invoices_party_issued')
        batch_op.drop_index(batch_op.f('ix_fin_invoices_party_id'))

    op.drop_table('fin_invoices')
    op.drop_table('fin_credit_limits')
    op.drop_table('fin_sequences')
    op.drop_table('fin_category_limits')
