"""Models of the surveys domain.

``Survey`` has ``Question`` rows; each submitted ``Response`` has one ``Answer`` per
answered question. ``Answer.survey_id`` is denormalised so answers can be read by
survey without a join.

Results are read from ``Tally`` rows, kept in the same transaction as the answers:
one counter per (question, week, value), so the results page costs the same at
a thousand responses as at a hundred thousand (see docs/ARCHITECTURE.md, Surveys).
``rebuild_tallies`` in the service recomputes them from the answers with GROUP BY.
The question kinds and their scales are defined in ``voice.surveys.scales``.

``UsedResponseToken`` keeps the digest of each one-time token spent on an
anonymous survey; its unique constraint refuses a second use, even concurrently.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voice.clock import utcnow
from voice.extensions import Model
from voice.surveys.scales import CHOICE_KINDS as CHOICE_KINDS  # re-exported: older imports
from voice.surveys.scales import KIND_LABELS as KIND_LABELS
from voice.surveys.scales import KINDS as KINDS
from voice.surveys.scales import SCALES

STATUSES = ("draft", "open", "closed")
#: The ``Tally.value`` that counts a question's answers (whatever their value).
ANSWERED = ""


class Survey(Model):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # submit_response adds 1 with one atomic UPDATE (x = x + 1, never read-modify-write);
    # rebuild_tallies recounts it under the survey's FOR UPDATE lock.
    response_count: Mapped[int] = mapped_column(default=0)

    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", order_by="Question.position", cascade="all, delete-orphan",
        lazy="raise_on_sql",
    )

    def accepts_answers_at(self, moment: datetime) -> bool:
        if self.status != "open":
            return False
        if self.opens_at is not None and moment < self.opens_at:
            return False
        return not (self.closes_at is not None and moment >= self.closes_at)


class Question(Model):
    __tablename__ = "survey_questions"
    __table_args__ = (Index("ix_survey_questions_survey_position", "survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(String(500))
    required: Mapped[bool] = mapped_column(default=True)
    choices: Mapped[list] = mapped_column(JSON, default=list)

    survey: Mapped[Survey] = relationship(back_populates="questions", lazy="raise_on_sql")

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.kind)


class Response(Model):
    __tablename__ = "survey_responses"
    # NULLs are distinct on both databases: anonymous responses (user_id NULL) never clash.
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        Index("ix_survey_responses_survey_created", "survey_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Indexed alone too: the staff dashboard walks every survey's responses newest first.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Answer(Model):
    __tablename__ = "survey_answers"
    __table_args__ = (
        Index("ix_survey_answers_question_number", "question_id", "number"),
        Index("ix_survey_answers_question_id_id", "question_id", "id"),
        Index("ix_survey_answers_survey_response", "survey_id", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE")
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    number: Mapped[int | None]  # nps, csat, ces, rating
    text: Mapped[str | None] = mapped_column(Text)  # text; single_choice's label
    choices: Mapped[list | None] = mapped_column(JSON(none_as_null=True))  # multi_choice labels


class Tally(Model):
    """How many answers of one question had one value in one week.

    ``value`` is the score as text ("0".."10"), a choice label, or "" for the
    count of answers to the question (a multi-choice answer counts once there and
    once per label). ``week`` is the Monday of the response's week.
    """

    __tablename__ = "survey_tallies"
    __table_args__ = (UniqueConstraint("question_id", "week", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE")
    )
    week: Mapped[date] = mapped_column(Date)
    value: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(default=0)


class UsedResponseToken(Model):
    """The SHA-256 digest of a spent one-time token of an anonymous survey."""

    __tablename__ = "survey_used_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)


class SurveyRespondent(Model):
    """That some signed-in customer answered an anonymous survey, and nothing else.

    ``digest`` is HMAC-SHA256 of the user id under a key of the survey's own
    (``service.tokens.respondent_digest``): no user id, no response id, no time, so the
    row cannot be joined to the answers. Its primary key refuses a second response of
    the same customer, even concurrently. No row id either: the digest is the key
    (``WITHOUT ROWID`` on SQLite), so no counter orders the rows as the responses are.
    """

    __tablename__ = "survey_respondents"
    __table_args__ = {"sqlite_with_rowid": False}

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
