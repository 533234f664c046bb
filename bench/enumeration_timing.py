"""Do known and unknown identifiers take the same time at each step of reset and registration?

    .venv/bin/python bench/enumeration_timing.py            # --runs 40 by default, ~1 min

Starts the app in-process (test client) with the real argon2 cost of `webapp/config.py`
DEFAULTS (the test suite uses a cheap one), one active account, and times each POST for a
known and an unknown identifier, alternating the two so drift of a shared machine hits both.
Code rows are deleted before each sample so the per-number and per-IP limits never answer
instead of the step being measured. Prints a table and writes `bench/results/enumeration.md`.
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import PASSWORD, create_active_user, make_snils, settings_for  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import DEFAULTS  # noqa: E402
from webapp.db import close_keeper, connect, migrate  # noqa: E402

KNOWN_PHONE = "+79120000001"
KNOWN_EMAIL = "known@example.ru"
WRONG = "000000"


def registration(n: int, *, snils=None, phone=None, email=None) -> dict:
    """A valid registration form with fresh identifiers unless given."""
    return {
        "surname": "Смирнов",
        "name": "Алексей",
        "patronymic": "Викторович",
        "birth_date": "1988-03-14",
        "snils": snils or make_snils(1000 + n),
        "phone": phone or f"+7916{n:07d}",
        "email": email or f"new{n}@example.ru",
        "password": PASSWORD,
        "consent": "y",
    }


class Bench:
    """The app, a database handle and a counter of fresh identifiers."""

    def __init__(self, instance: Path):
        settings = settings_for(instance)
        for key in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM"):
            settings[key] = DEFAULTS[key]
        settings["WTF_CSRF_ENABLED"] = False  # the token check costs the same on both sides
        self.app = create_app(settings)
        db = connect(self.app.config["DATABASE"])
        migrate(db)
        db.close()
        self.db = connect(self.app.config["DATABASE"])
        create_active_user(self.app, n=1, phone=KNOWN_PHONE, email=KNOWN_EMAIL)
        self.serial = 0

    def fresh(self) -> int:
        """A number no registration has used yet."""
        self.serial += 1
        return self.serial

    def clear_limits(self) -> None:
        """Forget every code, so no limit answers instead of the step."""
        self.db.execute("delete from sms_codes")

    def timed(self, client, url: str, data: dict) -> float:
        """Milliseconds for one POST; its status must be a form answer, not an error."""
        started = time.perf_counter()
        response = client.post(url, data=data)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code in (200, 303, 422), (url, response.status_code)
        return elapsed


def steps(bench: Bench) -> dict:
    """Each step: (label, known side, unknown side); a side makes one sample."""
    app = bench.app

    def reset_phone(phone):
        def sample():
            bench.clear_limits()
            return bench.timed(app.test_client(), "/reset", {"login": phone})

        return sample

    def reset_email(email):
        def sample():
            return bench.timed(app.test_client(), "/reset", {"login": email})

        return sample

    def reset_wrong_code(phone):
        def sample():
            bench.clear_limits()
            client = app.test_client()
            client.post("/reset", data={"login": phone})
            return bench.timed(client, "/reset/code", {"code": WRONG})

        return sample

    def register(taken):
        def sample():
            bench.clear_limits()
            n = bench.fresh()
            return bench.timed(app.test_client(), "/register", registration(n, **taken))

        return sample

    def register_wrong_code(taken):
        def sample():
            bench.clear_limits()
            n = bench.fresh()
            client = app.test_client()
            client.post("/register", data=registration(n, **taken))
            return bench.timed(client, "/register/confirm", {"code": WRONG})

        return sample

    snils = {"snils": make_snils(1)}
    return {
        "reset by phone": (reset_phone(KNOWN_PHONE), reset_phone("+79165554433")),
        "reset by e-mail": (reset_email(KNOWN_EMAIL), reset_email("nobody@example.ru")),
        "reset: wrong code": (reset_wrong_code(KNOWN_PHONE), reset_wrong_code("+79165554433")),
        "register: СНИЛС taken / free": (register(snils), register({})),
        "register: e-mail taken / free": (register({"email": KNOWN_EMAIL}), register({})),
        "register: phone taken / free": (register({"phone": KNOWN_PHONE}), register({})),
        "register confirm: wrong code, phone taken / free": (
            register_wrong_code({"phone": KNOWN_PHONE}),
            register_wrong_code({}),
        ),
        "register confirm: wrong code, СНИЛС taken / free": (
            register_wrong_code(snils),
            register_wrong_code({}),
        ),
    }


def p90(values: list[float]) -> float:
    """The 90th percentile."""
    return statistics.quantiles(values, n=10)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="samples per side and step")
    parser.add_argument("--warmup", type=int, default=3, help="unreported samples per side")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "enumeration.md"))
    parser.add_argument("--note", default="", help="free text for the report header")
    args = parser.parse_args()

    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        open(os.devnull, "w") as quiet,
        contextlib.redirect_stdout(quiet),
    ):
        bench = Bench(Path(tmp))
        for label, (known, unknown) in steps(bench).items():
            for _ in range(args.warmup):
                known(), unknown()
            samples = {"known": [], "unknown": []}
            for _ in range(args.runs):
                samples["known"].append(known())
                samples["unknown"].append(unknown())
            rows.append((label, samples["known"], samples["unknown"]))
        bench.db.close()
        close_keeper(bench.app)

    argon2 = (
        f"argon2id m={DEFAULTS['ARGON2_MEMORY_KIB']} KiB, t={DEFAULTS['ARGON2_TIME_COST']}, "
        f"p={DEFAULTS['ARGON2_PARALLELISM']}"
    )
    lines = [
        "# Enumeration timing",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, {args.runs} samples per side, {argon2}, "
        f"{os.cpu_count()} CPUs. {args.note}".rstrip(),
        "",
        "| step | known median | known p90 | unknown median | unknown p90 | Δ median |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, known, unknown in rows:
        k, u = statistics.median(known), statistics.median(unknown)
        lines.append(
            f"| {label} | {k:.1f} ms | {p90(known):.1f} ms | {u:.1f} ms | "
            f"{p90(unknown):.1f} ms | {k - u:+.1f} ms |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
