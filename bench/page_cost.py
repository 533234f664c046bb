"""In-process cost of the issue-13 pages: ms per request through the test client, and profiles.

    .venv/bin/python bench/page_cost.py                    # 2,000 requests per page, ms each
    .venv/bin/python bench/page_cost.py --profile /documents --top 40

The app is built as `tests/conftest.py` builds it, with TESTING off, DEBUG off and the
requests a browser sends (`Accept-Encoding: br, gzip`, `Sec-Fetch-Site: same-origin`), so
compression, security headers and the session's save are in the figures. A worker with the
demo record is signed in; `/login` is asked without the cookie (a first visit). Hello-world is
the same test client against `bench/hello_app.py`: what Flask alone costs. The machine is
shared, so each figure is the best of `--rounds` rounds.
"""

import argparse
import ast
import cProfile
import pstats
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import AuthActions, create_active_user, settings_for  # noqa: E402
from webapp import clock, create_app  # noqa: E402
from webapp.db import close_keeper, connect, migrate  # noqa: E402

PAGES = ("/", "/login", "/documents", "/profile/record")
HEADERS = {"Accept-Encoding": "br, gzip", "Sec-Fetch-Site": "same-origin"}


def build(tmp: Path, overrides: dict | None = None):
    """An app on a fresh database with one signed-in worker (demo record); its two clients."""
    settings = settings_for(tmp) | {"TESTING": False}
    settings |= overrides or {}
    app = create_app(settings)
    db = connect(app.config["DATABASE"])
    migrate(db)
    db.close()
    user_id = create_active_user(app)
    from webapp.profile.store.demo import seed_record

    with app.app_context():
        db = connect(app.config["DATABASE"])
        seed_record(db, user_id, None, clock.today())
        db.close()
    signed_in = app.test_client()
    AuthActions(signed_in).login()
    return app, signed_in


def hello_client():
    """The test client of bench/hello_app.py."""
    sys.path.insert(0, str(Path(__file__).parent))
    import hello_app

    return hello_app.app.test_client()


def fetch(app, signed_in, path: str):
    """One request as a browser makes it: signed in, or for /login a first visit."""
    if path == "/login":
        with app.test_client() as anonymous:
            response = anonymous.get(path, headers=HEADERS)
    else:
        response = signed_in.get(path, headers=HEADERS)
    assert response.status_code == 200, (path, response.status_code)
    response.close()
    return response


def ms_per_request(call, count: int, rounds: int) -> float:
    """Best of `rounds` mean CPU ms per call (other processes on the box count less)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(count):
            call()
        best = min(best, (time.process_time() - start) * 1000 / count)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="profile this page instead of timing all")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--sampling", action="store_true", help="pyinstrument, not cProfile")
    parser.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="also time a second app with this setting (a Python literal), rounds interleaved",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, signed_in = build(Path(tmp) / "a")
        for path in PAGES:
            fetch(app, signed_in, path)
        if args.against:
            overrides = {}
            for pair in args.against:
                key, _, value = pair.partition("=")
                overrides[key] = ast.literal_eval(value)
            other, other_signed_in = build(Path(tmp) / "b", overrides)
            print(f"A = defaults, B = {overrides}")
            for path in PAGES:
                a = b = float("inf")
                for _ in range(args.rounds):
                    a = min(a, ms_per_request(partial(fetch, app, signed_in, path), args.count, 1))
                    b = min(
                        b,
                        ms_per_request(partial(fetch, other, other_signed_in, path), args.count, 1),
                    )
                size_a = len(fetch(app, signed_in, path).get_data())
                size_b = len(fetch(other, other_signed_in, path).get_data())
                print(f"{path:16} A {a:6.3f} ms {size_a:6} B   B {b:6.3f} ms {size_b:6} B")
            close_keeper(other)
        elif args.profile and args.sampling:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(args.count):
                fetch(app, signed_in, args.profile)
            profiler.stop()
            print(profiler.output_text(show_all=False, short_mode=False))
        elif args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.count):
                fetch(app, signed_in, args.profile)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
        else:
            hello = hello_client()
            base = ms_per_request(lambda: hello.get("/").close(), args.count, args.rounds)
            print(f"{'hello-world':16} {base:6.3f} ms")
            for path in PAGES:
                cost = ms_per_request(
                    lambda path=path: fetch(app, signed_in, path), args.count, args.rounds
                )
                size = len(fetch(app, signed_in, path).get_data())
                print(f"{path:16} {cost:6.3f} ms  {cost / base:5.1f}× hello  {size} B sent")
        close_keeper(app)


if __name__ == "__main__":
    main()
