"""Instructions per request, counted by Valgrind's callgrind: an A/B measure this VM's noise
cannot move.

    .venv/bin/python bench/instructions.py                  # the issue-13 pages, hello-world
                                                            # and the stack's floor
    .venv/bin/python bench/instructions.py --count 200 /documents

Timings on this shared VM move 10–30 % between runs minutes apart (bench/README.md), more than
most single changes are worth; an instruction count is the same to the thousand on every run.
It is not time (a cache miss costs more than an add), so a change is judged on both: counts for
the A/B, `page_cost.py` and `http_bench.py` for what it buys.

How: the script starts itself again under callgrind with counting off, builds the app as
`page_cost.py` does (same pages, same browser headers, `/login` as a first visit), warms each
page up, then for each page switches counting on (`callgrind_control`) around `--count`
requests and dumps. Needs `valgrind` (Debian: `apt-get install valgrind`); about a minute.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

UNDER = "MEDKAB_UNDER_CALLGRIND"  # set in the child: the directory its dumps go to
WARM_UP = 30


def counted(label: str, call, count: int) -> None:
    """`call()` `count` times with callgrind counting, then a dump named `label`."""
    pid = str(os.getpid())

    def control(*args: str) -> None:
        subprocess.run(["callgrind_control", *args, pid], check=True, stdout=subprocess.DEVNULL)

    for _ in range(WARM_UP):
        call()
    control("--zero")
    control("--instr=on")
    for _ in range(count):
        call()
    control("--instr=off")
    control(f"--dump={label}")


def child(pages: list[str], count: int) -> None:
    """Inside callgrind: count hello-world, the stack's floor (bench/stack_app.py), then each
    page."""
    import page_cost

    hello = page_cost.hello_client()
    counted("hello-world", lambda: hello.get("/", headers=page_cost.HEADERS).close(), count)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STACK_FLOOR_DB"] = str(Path(tmp) / "stack-floor.db")
        import stack_app  # the stack's floor: a signed-in page with none of our code

        floor = stack_app.app.test_client()
        floor.get("/sign-in").close()
        counted("stack floor", lambda: floor.get("/", headers=page_cost.HEADERS).close(), count)
    with tempfile.TemporaryDirectory() as tmp:
        app, signed_in = page_cost.build(Path(tmp))
        for path in pages:
            counted(path, lambda path=path: page_cost.fetch(app, signed_in, path), count)
        page_cost.close_keeper(app)


def read_dumps(directory: Path, count: int) -> dict[str, float]:
    """Label → instructions per request, from callgrind's dump files."""
    found = {}
    dumps = directory.glob("callgrind.out.*")
    for dump in sorted(dumps, key=lambda path: int(path.suffix[1:])):  # in the order taken
        text = dump.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: dump (.+)$", text, re.M)
        totals = re.search(r"^totals: (\d+)", text, re.M)
        if label and totals:
            found[label[1]] = int(totals[1]) / count
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="default: the pages of page_cost.py")
    parser.add_argument("--count", type=int, default=100, help="requests counted per page")
    args = parser.parse_args()
    if os.environ.get(UNDER):
        import page_cost

        child(args.pages or list(page_cost.PAGES), args.count)
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp}/callgrind.out",
            sys.executable,
            __file__,
            f"--count={args.count}",
            *args.pages,
        ]
        subprocess.run(
            command, env={**os.environ, UNDER: tmp}, check=True, stderr=subprocess.DEVNULL
        )
        found = read_dumps(Path(tmp), args.count)
    hello = found.pop("hello-world")
    floor = found["stack floor"]
    print(f"{'hello-world':18} {hello / 1e6:7.3f} M instructions a request")
    for label, per_request in found.items():
        print(
            f"{label:18} {per_request / 1e6:7.3f} M   {per_request / hello:5.1f}× hello-world"
            f"   {per_request / floor:4.2f}× the stack floor"
        )


if __name__ == "__main__":
    main()
