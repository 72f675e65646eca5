"""surveys: the respondents of anonymous surveys (a keyed hash, kept apart from the
answers); ideas: the stored trending score counts the first vote

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 09:00:00.000000

"""
import math
from datetime import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# voice.ideas.ranking at this revision (copied: a migration must not follow later code).
_TAU = 3 * 24 * 3600
_COMMENT_WEIGHT = 0.5
_EPOCH = datetime(2024, 1, 1)

_ideas = sa.table(
    'ideas', sa.column('id', sa.Integer), sa.column('vote_count', sa.Integer),
    sa.column('comment_count', sa.Integer), sa.column('created_at', sa.DateTime),
    sa.column('hot_score', sa.Float))


def _hot(votes, comments, created_at, one_more):
    support = votes + _COMMENT_WEIGHT * comments
    support = support + 1 if one_more else max(1.0, support)
    return math.log10(support) + (created_at - _EPOCH).total_seconds() / _TAU


def _rescore(one_more):
    """Rewrite every idea's stored score: log10(1 + support) (``one_more``) or the
    former log10(max(1, support)), plus the idea's youth."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_ideas.c.id, _ideas.c.vote_count, _ideas.c.comment_count,
                                  _ideas.c.created_at)).all()
    scores = [{'key': key, 'score': _hot(votes or 0, comments or 0, created, one_more)}
              for key, votes, comments, created in rows]
    if scores:
        bind.execute(_ideas.update().where(_ideas.c.id == sa.bindparam('key'))
                     .values(hot_score=sa.bindparam('score')), scores)


def upgrade():
    op.create_table(
        'survey_respondents',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'],
                                name=op.f('fk_survey_respondents_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_survey_respondents')),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table('survey_respondents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_respondents_survey_id'), ['survey_id'],
                              unique=False)
    _rescore(one_more=True)


def downgrade():
    _rescore(one_more=False)
    with op.batch_alter_table('survey_respondents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_respondents_survey_id'))
    op.drop_table('survey_respondents')
