"""crm tables

Revision ID: crm_0001
Revises: 
Create Date: 2026-11-23 20:39:27.321515
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0001'
down_revision = None
branch_labels = ('crm',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('crm_list_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_list_items')),
    sa.UniqueConstraint('kind', 'name', name=op.f('uq_crm_list_items_kind'))
    )
    with op.batch_alter_table('crm_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_list_items_kind'), ['kind'], unique=False)

    op.create_table('crm_customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('marketer_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('current_negotiation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['crm_list_items.id'], name=op.f('fk_crm_customers_activity_id_crm_list_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['crm_list_items.id'], name=op.f('fk_crm_customers_category_id_crm_list_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['marketer_id'], ['crm_list_items.id'], name=op.f('fk_crm_customers_marketer_id_crm_list_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_crm_customers_party_id_parties'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_crm_customers_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_crm_customers_registered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['crm_list_items.id'], name=op.f('fk_crm_customers_source_id_crm_list_items'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_customers')),
    sa.UniqueConstraint('party_id', name=op.f('uq_crm_customers_party_id'))
    )
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_customers_current_negotiation_id'), ['current_negotiation_id'], unique=False)

    op.create_table('crm_negotiations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('window_end', sa.DateTime(), nullable=False),
    sa.Column('opened_via', sa.String(length=12), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('swept_at', sa.DateTime(), nullable=True),
    sa.Column('last_entry_at', sa.DateTime(), nullable=True),
    sa.Column('next_contact', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_negotiations_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_crm_negotiations_office_id_offices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_crm_negotiations_owner_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['previous_id'], ['crm_negotiations.id'], name=op.f('fk_crm_negotiations_previous_id_crm_negotiations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_negotiations'))
    )
    with op.batch_alter_table('crm_negotiations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_negotiations_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_negotiations_next_contact'), ['next_contact'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_negotiations_office_id'), ['office_id'], unique=False)
        batch_op.create_index('ix_crm_negotiations_owner_status', ['owner_id', 'status'], unique=False)
        batch_op.create_index('ix_crm_negotiations_status_window', ['status', 'window_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_negotiations_swept_at'), ['swept_at'], unique=False)
        batch_op.create_index('uq_crm_negotiations_open_customer', ['customer_id'], unique=True, sqlite_where=sa.text("status = 'negotiating'"), postgresql_where=sa.text("status = 'negotiating'"))

    # customers <-> negotiations reference each other: this key is added once both exist.
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_crm_customers_current_negotiation_id_crm_negotiations'),
                                    'crm_negotiations', ['current_negotiation_id'], ['id'], ondelete='SET NULL')

    op.create_table('crm_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_cards_negotiation_id_crm_negotiations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_cards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_cards')),
    sa.UniqueConstraint('negotiation_id', 'colour', name=op.f('uq_crm_cards_negotiation_id'))
    )
    with op.batch_alter_table('crm_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_cards_user_id'), ['user_id'], unique=False)

    op.create_table('crm_log_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('next_contact', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_crm_log_entries_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_log_entries_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_log_entries_negotiation_id_crm_negotiations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_log_entries'))
    )
    with op.batch_alter_table('crm_log_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_log_entries_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_crm_log_entries_negotiation_date', ['negotiation_id', 'date'], unique=False)

    op.create_table('crm_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_points_negotiation_id_crm_negotiations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_points_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_points')),
    sa.UniqueConstraint('negotiation_id', 'event', name=op.f('uq_crm_points_negotiation_id'))
    )
    with op.batch_alter_table('crm_points', schema=None) as batch_op:
        batch_op.create_index('ix_crm_points_user_at', ['user_id', 'at'], unique=False)

    op.create_table('crm_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('old_status', sa.String(length=12), nullable=True),
    sa.Column('new_status', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_crm_status_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_status_changes_negotiation_id_crm_negotiations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_status_changes'))
    )
    with op.batch_alter_table('crm_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_status_changes_negotiation_id'), ['negotiation_id'], unique=False)

    op.create_table('crm_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('addressee_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['addressee_id'], ['users.id'], name=op.f('fk_crm_comments_addressee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_crm_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['crm_log_entries.id'], name=op.f('fk_crm_comments_entry_id_crm_log_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_comments'))
    )
    with op.batch_alter_table('crm_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_comments_addressee_id'), ['addressee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_comments_entry_id'), ['entry_id'], unique=False)



def downgrade():
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_crm_customers_current_negotiation_id_crm_negotiations'), type_='foreignkey')
    with op.batch_alter_table('crm_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_comments_entry_id'))
        batch_op.drop_index(batch_op.f('ix_crm_comments_addressee_id'))

    op.drop_table('crm_comments')
    with op.batch_alter_table('crm_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_status_changes_negotiation_id'))

    op.drop_table('crm_status_changes')
    with op.batch_alter_table('crm_points', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_points_user_at')

    op.drop_table('crm_points')
    with op.batch_alter_table('crm_log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_log_entries_negotiation_date')
        batch_op.drop_index(batch_op.f('ix_crm_log_entries_customer_id'))

    op.drop_table('crm_log_entries')
    with op.batch_alter_table('crm_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_cards_user_id'))

    op.drop_table('crm_cards')
    with op.batch_alter_table('crm_negotiations', schema=None) as batch_op:
        batch_op.drop_index('uq_crm_negotiations_open_customer', sqlite_where=sa.text("status = 'negotiating'"), postgresql_where=sa.text("status = 'negotiating'"))
        batch_op.drop_index(batch_op.f('ix_crm_negotiations_swept_at'))
        batch_op.drop_index('ix_crm_negotiations_status_window')
        batch_op.drop_index('ix_crm_negotiations_owner_status')
        batch_op.drop_index(batch_op.f('ix_crm_negotiations_office_id'))
        batch_op.drop_index(batch_op.f('ix_crm_negotiations_next_contact'))
        batch_op.drop_index(batch_op.f('ix_crm_negotiations_customer_id'))

    op.drop_table('crm_negotiations')
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_customers_current_negotiation_id'))

    op.drop_table('crm_customers')
    with op.batch_alter_table('crm_list_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_list_items_kind'))

    op.drop_table('crm_list_items')
