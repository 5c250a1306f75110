"""support tables: tickets, their notes, attachments and status changes; categories

Revision ID: support_0001
Revises: 
Create Date: 2026-11-23 22:36:24.753227
"""
import sqlalchemy as sa
from alembic import op

revision = 'support_0001'
down_revision = None
branch_labels = ('support',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('support_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_support_categories_name'))
    )
    op.create_table('support_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('search_key', sa.String(length=260), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('order_ref', sa.String(length=120), nullable=True),
    sa.Column('order_number', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('sla_start', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('paused_at', sa.DateTime(), nullable=True),
    sa.Column('breached_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("channel IN ('phone', 'email', 'web', 'in_person', 'messenger')", name=op.f('ck_support_tickets_channel_known')),
    sa.CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name=op.f('ck_support_tickets_priority_known')),
    sa.CheckConstraint("status IN ('new', 'in_progress', 'waiting_customer', 'resolved', 'closed', 'reopened')", name=op.f('ck_support_tickets_status_known')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_support_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['support_categories.id'], name=op.f('fk_support_tickets_category_id_support_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_support_tickets_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_support_tickets_office_id_offices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_support_tickets_party_id_parties'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_support_tickets_product_id_products'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_tickets'))
    )
    with op.batch_alter_table('support_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_support_tickets_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_tickets_breached_at'), ['breached_at'], unique=False)
        batch_op.create_index('ix_support_tickets_office_status', ['office_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_tickets_order_ref'), ['order_ref'], unique=False)
        batch_op.create_index('ix_support_tickets_party_created', ['party_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_tickets_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index('ix_support_tickets_status_due', ['status', 'due_at'], unique=False)

    op.create_table('support_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('for_customer', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_support_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_tickets.id'], name=op.f('fk_support_notes_ticket_id_support_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_notes'))
    )
    with op.batch_alter_table('support_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_notes_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('support_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('old_status', sa.String(length=20), nullable=True),
    sa.Column('new_status', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_support_status_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_tickets.id'], name=op.f('fk_support_status_changes_ticket_id_support_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_status_changes'))
    )
    with op.batch_alter_table('support_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_status_changes_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('support_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['support_notes.id'], name=op.f('fk_support_attachments_note_id_support_notes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['support_tickets.id'], name=op.f('fk_support_attachments_ticket_id_support_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_support_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_attachments'))
    )
    with op.batch_alter_table('support_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_attachments_note_id'), ['note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_attachments_ticket_id'), ['ticket_id'], unique=False)



def downgrade():
    with op.batch_alter_table('support_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_attachments_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_support_attachments_note_id'))

    op.drop_table('support_attachments')
    with op.batch_alter_table('support_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_status_changes_ticket_id'))

    op.drop_table('support_status_changes')
    with op.batch_alter_table('support_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_notes_ticket_id'))

    op.drop_table('support_notes')
    with op.batch_alter_table('support_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_support_tickets_status_due')
        batch_op.drop_index(batch_op.f('ix_support_tickets_resolved_at'))
        batch_op.drop_index('ix_support_tickets_party_created')
        batch_op.drop_index(batch_op.f('ix_support_tickets_order_ref'))
        batch_op.drop_index('ix_support_tickets_office_status')
        batch_op.drop_index(batch_op.f('ix_support_tickets_breached_at'))
        batch_op.drop_index('ix_support_tickets_assignee_status')

    op.drop_table('support_tickets')
    op.drop_table('support_categories')
