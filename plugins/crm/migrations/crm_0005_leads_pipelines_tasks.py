"""leads pipelines tasks

Revision ID: crm_0005
Revises: crm_0004
Create Date: 2026-11-23 21:22:16.367386
"""
from alembic import op
import sqlalchemy as sa


revision = 'crm_0005'
down_revision = 'crm_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crm_pipelines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_pipelines')),
    sa.UniqueConstraint('name', name=op.f('uq_crm_pipelines_name'))
    )
    op.create_table('crm_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('required_fields', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['pipeline_id'], ['crm_pipelines.id'], name=op.f('fk_crm_stages_pipeline_id_crm_pipelines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_stages')),
    sa.UniqueConstraint('pipeline_id', 'name', name=op.f('uq_crm_stages_pipeline_id'))
    )
    with op.batch_alter_table('crm_stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_stages_pipeline_id'), ['pipeline_id'], unique=False)

    op.create_table('crm_lead_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=True),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crm_lead_imports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_lead_imports'))
    )
    op.create_table('crm_leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('need_level', sa.String(length=8), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('mobile', sa.String(length=40), nullable=False),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('mobile_e164', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('search_key', sa.String(length=420), nullable=False),
    sa.Column('disqualify_reason_id', sa.Integer(), nullable=True),
    sa.Column('disqualify_note', sa.String(length=400), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('negotiation_id', sa.Integer(), nullable=True),
    sa.Column('qualified_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('source_ip', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['crm_list_items.id'], name=op.f('fk_crm_leads_category_id_crm_list_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_crm_leads_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_leads_customer_id_crm_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['disqualify_reason_id'], ['crm_list_items.id'], name=op.f('fk_crm_leads_disqualify_reason_id_crm_list_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['import_id'], ['crm_lead_imports.id'], name=op.f('fk_crm_leads_import_id_crm_lead_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_leads_negotiation_id_crm_negotiations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_crm_leads_office_id_offices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_crm_leads_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_leads'))
    )
    with op.batch_alter_table('crm_leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_leads_mobile_e164'), ['mobile_e164'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_leads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_leads_phone_e164'), ['phone_e164'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_leads_search_key'), ['search_key'], unique=False)
        batch_op.create_index('ix_crm_leads_status_office', ['status', 'office_id'], unique=False)

    op.create_table('crm_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('log_entry_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_attachments_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['log_entry_id'], ['crm_log_entries.id'], name=op.f('fk_crm_attachments_log_entry_id_crm_log_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_crm_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_attachments'))
    )
    with op.batch_alter_table('crm_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_attachments_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_attachments_log_entry_id'), ['log_entry_id'], unique=False)

    op.create_table('crm_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('negotiation_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('overdue_at', sa.DateTime(), nullable=True),
    sa.Column('log_entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_crm_tasks_assignee_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_crm_tasks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], name=op.f('fk_crm_tasks_customer_id_crm_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['log_entry_id'], ['crm_log_entries.id'], name=op.f('fk_crm_tasks_log_entry_id_crm_log_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['negotiation_id'], ['crm_negotiations.id'], name=op.f('fk_crm_tasks_negotiation_id_crm_negotiations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_tasks'))
    )
    with op.batch_alter_table('crm_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_crm_tasks_assignee_status_due', ['assignee_id', 'status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_tasks_customer_id'), ['customer_id'], unique=False)

    with op.batch_alter_table('crm_negotiations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('forecast_close', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('need_details', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('priority', sa.String(length=8), nullable=False, server_default='normal'))
        batch_op.add_column(sa.Column('stage_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('probability', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_crm_negotiations_stage_id'), ['stage_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_crm_negotiations_stage_id_crm_stages'), 'crm_stages', ['stage_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('crm_negotiations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_crm_negotiations_stage_id_crm_stages'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_crm_negotiations_stage_id'))
        batch_op.drop_column('probability')
        batch_op.drop_column('stage_id')
        batch_op.drop_column('priority')
        batch_op.drop_column('need_details')
        batch_op.drop_column('forecast_close')
        batch_op.drop_column('value')

    with op.batch_alter_table('crm_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_tasks_customer_id'))
        batch_op.drop_index('ix_crm_tasks_assignee_status_due')

    op.drop_table('crm_tasks')
    with op.batch_alter_table('crm_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_attachments_log_entry_id'))
        batch_op.drop_index(batch_op.f('ix_crm_attachments_customer_id'))

    op.drop_table('crm_attachments')
    with op.batch_alter_table('crm_leads', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_leads_status_office')
        batch_op.drop_index(batch_op.f('ix_crm_leads_search_key'))
        batch_op.drop_index(batch_op.f('ix_crm_leads_phone_e164'))
        batch_op.drop_index(batch_op.f('ix_crm_leads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_crm_leads_mobile_e164'))

    op.drop_table('crm_leads')
    op.drop_table('crm_lead_imports')
    with op.batch_alter_table('crm_stages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_stages_pipeline_id'))

    op.drop_table('crm_stages')
    op.drop_table('crm_pipelines')
