"""web form rate index

The public web form refuses more than `crm.web_form_per_hour` leads an hour from one address;
that count read every lead of the last hour (a sequential scan at 100,000 leads, on every
submission of a flood). An index on (source_ip, created_at) answers it from a few entries.

Revision ID: crm_0010
Revises: crm_0009
Create Date: 2026-11-24 03:00:00.000000
"""
from alembic import op

revision = 'crm_0010'
down_revision = 'crm_0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_crm_leads_source_ip', 'crm_leads', ['source_ip', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_crm_leads_source_ip', table_name='crm_leads')
