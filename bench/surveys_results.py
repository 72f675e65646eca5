"""How survey results scale: the staff results page at 1,000 and at 100,000 responses.

    .venv/bin/python -m bench.surveys_results            # full: 1,000 then 100,000 responses
    .venv/bin/python -m bench.surveys_results --quick    # 1,000 then 20,000 responses
    .venv/bin/python -m bench.surveys_results --database-url postgresql+psycopg://...  # empty DB

One database grows during the run, so both sizes are measured side by side on the same
machine: seed 1,000 responses, time, bulk-add the rest, time again. The survey has an
NPS, a CSAT, a one-choice, a several-choice and a text question, answered over twelve
weeks. Seeding uses bulk inserts of the rows ``submit_response`` writes (it would take
minutes through the service one by one), then ``rebuild_tallies`` aggregates them with
GROUP BY, as an upgrade would. Figures are medians after a warm-up: the results page
through the whole HTTP stack (``GET /admin/surveys/<id>/results`` on the test client),
the API's Results (``GET /api/v1/surveys/<id>/results``), the service function
``survey_results``, one ``submit_response`` (the write path), and, for scale, the CSV
export, which reads every answer and so is expected to grow with them.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from bench.timing import median_ms
from voice import create_app
from voice.accounts import service as accounts
from voice.clock import utcnow
from voice.extensions import db
from voice.surveys import service
from voice.surveys.models import Answer, Response

PASSWORD = "bench-password-1"
CHOICES = ["Web app", "Mobile app", "Integrations", "Billing"]
FEATURES = ["Editor", "Reports", "API", "Widgets"]
WORDS = ["slow", "exports", "great", "support", "billing", "crash", "love", "price",
         "sync", "mobile", "fast", "search", "invoice", "login", "dashboard"]
QUESTIONS = [
    {"kind": "nps", "prompt": "How likely are you to recommend us?"},
    {"kind": "csat", "prompt": "How satisfied are you?"},
    {"kind": "single_choice", "prompt": "Which part do you use most?", "choices": CHOICES},
    {"kind": "multi_choice", "prompt": "What do you use?", "choices": FEATURES,
     "required": False},
    {"kind": "text", "prompt": "Why?", "required": False},
]


def seed_survey(staff):
    survey = service.create_survey(
        staff, "Benchmark NPS", "", anonymous=True, opens_at=utcnow() - timedelta(weeks=13),
        questions=QUESTIONS, status="open")
    return survey.id, [q.id for q in survey.questions]


def add_responses(survey_id: int, question_ids: list[int], count: int,
                  rng: np.random.Generator, batch: int = 10_000) -> None:
    """Bulk-insert ``count`` responses with the rows submit_response writes."""
    nps_q, csat_q, single_q, multi_q, text_q = question_ids
    start = utcnow() - timedelta(weeks=12)
    for first in range(0, count, batch):
        size = min(batch, count - first)
        minutes = np.sort(rng.integers(0, 12 * 7 * 24 * 60, size))
        nps = rng.choice(11, size, p=[.04, .02, .03, .04, .05, .07, .1, .15, .15, .15, .2])
        csat = rng.choice(5, size, p=[.05, .1, .15, .35, .35]) + 1
        single = rng.integers(0, len(CHOICES), size)
        multi = rng.random(size) < 0.5
        texts = rng.random(size) < 0.3
        responses = [{"survey_id": survey_id, "user_id": None,
                      "created_at": start + timedelta(minutes=int(m))} for m in minutes]
        # Core inserts (not ORM bulk inserts, which split batches at every NULL)
        ids = db.session.scalars(
            insert(Response.__table__).returning(Response.__table__.c.id,
                                                 sort_by_parameter_order=True), responses
        ).all()
        answers = []
        for i, response_id in enumerate(ids):
            base = {"response_id": response_id, "survey_id": survey_id, "number": None,
                    "text": None, "choices": None}
            answers.append({**base, "question_id": nps_q, "number": int(nps[i])})
            answers.append({**base, "question_id": csat_q, "number": int(csat[i])})
            answers.append({**base, "question_id": single_q, "text": CHOICES[single[i]]})
            if multi[i]:
                picked = [f for f in FEATURES if rng.random() < 0.5] or FEATURES[:1]
                answers.append({**base, "question_id": multi_q, "choices": picked})
            if texts[i]:
                words = " ".join(rng.choice(WORDS, 6))
                answers.append({**base, "question_id": text_q, "text": f"{words} {i}"})
        db.session.execute(insert(Answer.__table__), answers)
        db.session.commit()
    service.rebuild_tallies(survey_id)


def measure(app, client, headers, survey_id: int, question_ids: list[int], runs: int,
            tag: str) -> dict[str, float]:
    page = f"/admin/surveys/{survey_id}/results"
    api = f"/api/v1/surveys/{survey_id}/results"

    def get_page():
        response = client.get(page)
        assert response.status_code == 200, response.status_code

    def get_api():
        response = client.get(api, headers=headers)
        assert response.status_code == 200, response.status_code

    counter = iter(range(10**9))
    nps_q, csat_q, single_q = question_ids[:3]

    def submit():
        number = next(counter)
        token = service.response_token(survey_id, f"{tag}-{number}")
        service.submit_response(survey_id, None, {nps_q: number % 11, csat_q: 4,
                                                  single_q: CHOICES[0]},
                                anonymous_token=token)

    with app.app_context():
        return {
            "results page (HTTP)": median_ms(get_page, runs),
            "results API (HTTP)": median_ms(get_api, runs),
            "survey_results()": median_ms(lambda: service.survey_results(survey_id), runs),
            "submit_response()": median_ms(submit, max(5, runs // 2)),
            "export_csv() (linear)": median_ms(lambda: service.export_csv(survey_id), 3),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 then 20,000 responses")
    parser.add_argument("--database-url", help="an EMPTY database (default: a temp SQLite)")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per figure")
    args = parser.parse_args()
    small, large = 1_000, (20_000 if args.quick else 100_000)
    runs = args.runs or (15 if args.quick else 31)
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "TESTING": True})
    rng = np.random.default_rng(20261124)
    with app.app_context():
        db.create_all()
        staff = accounts.create_user("bench.staff@example.com", PASSWORD, "Bench", "staff")
        token = accounts.issue_token(staff.email, PASSWORD)
        survey_id, question_ids = seed_survey(staff)
        started = time.perf_counter()
        add_responses(survey_id, question_ids, small, rng)
    client = app.test_client()
    client.post("/login", data={"email": "bench.staff@example.com", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token}"}
    print(f"database: {url.split('://')[0]}; seeded {small:,} responses "
          f"in {time.perf_counter() - started:.1f} s")
    figures = {small: measure(app, client, headers, survey_id, question_ids, runs, "s")}
    with app.app_context():
        started = time.perf_counter()
        add_responses(survey_id, question_ids, large - small, rng)
        answers = db.session.scalar(select(func.count(Answer.id)))
    print(f"added {large - small:,} responses ({answers:,} answers in all) "
          f"in {time.perf_counter() - started:.1f} s")
    figures[large] = measure(app, client, headers, survey_id, question_ids, runs, "l")

    print(f"\nmedian ms of {runs} runs   {small:>10,} {large:>10,}   ratio")
    for name in figures[small]:
        a, b = figures[small][name], figures[large][name]
        print(f"{name:<24} {a:>10.2f} {b:>10.2f}   {b / a:5.2f}x")
    ratio = figures[large]["results page (HTTP)"] / figures[small]["results page (HTTP)"]
    verdict = "OK" if ratio < 3 else "TOO SLOW"
    print(f"\nresults page at {large:,} vs {small:,} responses: {ratio:.2f}x "
          f"(must stay under 3x): {verdict}")
    if args.database_url is None:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)


if __name__ == "__main__":
    main()
