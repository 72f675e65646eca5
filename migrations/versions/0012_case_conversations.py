"""the loop both ways: case threads, waiting, escalation, reply templates, inbound mail

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:35:33.040122

The new non-null columns carry a server default so existing rows fill in; existing cases'
last reply becomes their last message (the inbox's preview).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reply_templates_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_reply_templates_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates')),
    sa.UniqueConstraint('team_id', 'name', name=op.f('uq_reply_templates_team_id_name'))
    )
    op.create_table('inbound_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=False),
    sa.Column('from_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_inbound_mails_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_inbound_mails_handled_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_mails_message_id'))
    )
    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_mails_status_received', ['status', 'received_at'], unique=False)

    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sa.String(length=10), nullable=False, server_default='web'))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_seconds', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_message_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_message_preview', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('last_message_by_customer', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_cases_merged_into_id_cases'), 'cases',
                                    ['merged_into_id'], ['id'], ondelete='SET NULL')
    op.execute("UPDATE cases SET last_message_at = replied_at, "
               "last_message_preview = substr(coalesce(reply, ''), 1, 200) "
               "WHERE replied_at IS NOT NULL")

    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=320), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('message_id', sa.String(length=250), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_column('message_id')
        batch_op.drop_column('reply_to')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_merged_into_id_cases'), type_='foreignkey')
        batch_op.drop_column('last_message_by_customer')
        batch_op.drop_column('last_message_preview')
        batch_op.drop_column('last_message_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('paused_seconds')
        batch_op.drop_column('waiting_since')

    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_column('via')

    with op.batch_alter_table('inbound_mails', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_mails_status_received')

    op.drop_table('inbound_mails')
    op.drop_table('reply_templates')
