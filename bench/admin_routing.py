"""Routing and dashboard costs, measured side by side in one run (in-process, SQLite file).

    .venv/bin/python -m bench.admin_routing [--quick]

1. The pure engine: one decision over the 4 default rules and over 50 rules.
2. A survey response submitted through the surveys service with routing connected and
   disconnected: what routing adds to the sender's transaction.
3. The staff dashboard built over a database with many cases and answers.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from voice.admin import rules


def median_us(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def bench_engine(repeat: int) -> None:
    from datetime import datetime

    now = datetime(2026, 1, 5)
    defaults = [
        rules.Rule(id=1, source="survey_response", team_id=1, question_kind="nps", score_max=6),
        rules.Rule(id=2, source="survey_response", team_id=1, question_kind="csat", score_max=2),
        rules.Rule(id=3, source="survey_response", team_id=1, question_kind="ces", score_min=6),
        rules.Rule(id=4, source="idea_created", to_area_team=True, sla_hours=120),
    ]
    many = [rules.Rule(id=100 + i, source="survey_response", team_id=2, keywords=(f"w{i}",))
            for i in range(46)] + defaults
    routing = rules.Routing(fallback_team_id=1, area_teams={1: 2})
    signal = rules.Signal(source="survey_response", source_id=1, occurred_at=now,
                          scores=(rules.Score("nps", 3),), text="the invoice was wrong again")
    small = median_us(lambda: rules.decide(defaults, signal, routing), repeat)
    large = median_us(lambda: rules.decide(many, signal, routing), repeat)
    print(f"engine: 4 rules {small:.1f} µs, 50 rules {large:.1f} µs per decision "
          f"(ratio {large / small:.1f})")


def make_app(folder: Path):
    from voice import create_app
    from voice.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
                      "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
    return app


def bench_routing_overhead(app, responses: int) -> None:
    from voice import signals
    from voice.accounts import service as accounts
    from voice.accounts.models import User
    from voice.admin import routing, service
    from voice.extensions import db
    from voice.surveys import service as surveys

    with app.app_context():
        service.ensure_defaults()
        staff = accounts.create_user("staff@bench.example", "bench-password", "Staff", "staff")
        ids = {}
        for name in ("routed", "plain"):
            survey = surveys.create_survey(staff, f"Survey {name}", status="open", questions=[
                {"kind": "nps", "prompt": "Recommend?"},
                {"kind": "text", "prompt": "Why?", "required": False}])
            ids[name] = (survey.id, [q.id for q in surveys.load_survey(survey.id).questions])
        users = [accounts.create_user(f"c{i}@bench.example", "bench-password", f"C{i}").id
                 for i in range(2 * responses)]
    timings = {"routed": [], "plain": []}
    for index in range(responses):
        for name in ("routed", "plain") if index % 2 else ("plain", "routed"):
            survey_id, (nps_q, text_q) = ids[name]
            user = users[2 * index + (name == "plain")]
            if name == "plain":
                signals.survey_response_submitted.disconnect(routing.on_response_submitted)
            try:
                with app.app_context():
                    user = db.session.get(User, user)
                    start = time.perf_counter()
                    surveys.submit_response(survey_id, user, {nps_q: 3, text_q: "slow"})
                    timings[name].append((time.perf_counter() - start) * 1000)
            finally:
                if name == "plain":
                    signals.survey_response_submitted.connect(routing.on_response_submitted,
                                                              weak=False)
    routed, plain = (statistics.median(timings[k]) for k in ("routed", "plain"))
    print(f"detractor response: {plain:.2f} ms without routing, {routed:.2f} ms with "
          f"(routing adds {routed - plain:.2f} ms, ratio {routed / plain:.2f})")


def bench_dashboard(app, cases: int, repeat: int) -> None:
    from voice.admin import dashboard, service
    from voice.admin.rules import Decision, Signal
    from voice.clock import utcnow
    from voice.database import write_transaction

    now = utcnow()
    with app.app_context():
        triage = service.triage_team().id
        with write_transaction():
            for number in range(cases):
                moment = now - timedelta(minutes=number * 17)
                signal = Signal(source="idea_created", source_id=10_000 + number,
                                occurred_at=moment, title=f"Idea {number}")
                service.open_case(signal, Decision(rule_id=4, team_id=triage,
                                                   priority="normal", sla_hours=120,
                                                   due_at=moment + timedelta(hours=120)))
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            dashboard.build()
            samples.append((time.perf_counter() - start) * 1000)
    print(f"dashboard over {cases} cases: median {statistics.median(samples):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    bench_engine(2000 if quick else 20000)
    with tempfile.TemporaryDirectory(prefix="voice-admin-bench-") as folder:
        app = make_app(Path(folder))
        bench_routing_overhead(app, 20 if quick else 150)
        bench_dashboard(app, 1000 if quick else 20000, 3 if quick else 10)


if __name__ == "__main__":
    main()
