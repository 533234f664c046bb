"""The applications' state machine (DESIGN §7): the only place that says which moves exist.

A move is an action taken by a role from one state to another. A kind may use a subset of the
actions (`Kind.actions`); nothing else in the engine decides whether a move is possible:
`target()` answers for every route.
"""

from dataclasses import dataclass

STATES = {
    "draft": "Черновик",
    "submitted": "Подано",
    "registered": "Зарегистрировано",
    "under_check": "На проверке",
    "returned": "Возвращено на доработку",
    "forwarded": "Передано в комиссию",
    "under_review": "На рассмотрении комиссии",
    "passed": "Аккредитация пройдена",
    "not_passed": "Аккредитация не пройдена",
    "confirmed": "Подтверждено",
    "refused": "Отказано",
    "withdrawn": "Отозвано",
}

# States an application waits in for the accreditation body: they are in the reviewers' queue.
OPEN = ("submitted", "registered", "under_check", "forwarded", "under_review")
# States with a decision: nothing moves any more.
FINAL = ("passed", "not_passed", "confirmed", "refused", "withdrawn")
# Chip colours for the status chip: waiting, needs the worker, good, bad.
TONES = {
    "draft": "muted",
    "submitted": "wait",
    "registered": "wait",
    "under_check": "wait",
    "forwarded": "wait",
    "under_review": "wait",
    "returned": "attention",
    "passed": "good",
    "confirmed": "good",
    "not_passed": "bad",
    "refused": "bad",
    "withdrawn": "muted",
}


@dataclass(frozen=True)
class Move:
    """One action of the machine."""

    action: str
    title: str  # the button
    role: str  # who may take it: worker | reviewer
    sources: tuple[str, ...]
    target: str
    needs_comment: bool = False
    needs_accepted_files: bool = False  # every file of the last submission «Принят»


MOVES = {
    m.action: m
    for m in (
        Move("submit", "Подписать и отправить", "worker", ("draft",), "submitted"),
        Move("resubmit", "Исправить и отправить повторно", "worker", ("returned",), "submitted"),
        Move("withdraw", "Отозвать", "worker", ("submitted",), "withdrawn"),
        Move("take", "Взять в работу", "reviewer", ("submitted",), "registered"),
        Move("check", "Начать проверку", "reviewer", ("registered",), "under_check"),
        Move(
            "return",
            "Вернуть на доработку",
            "reviewer",
            ("under_check",),
            "returned",
            needs_comment=True,
        ),
        Move(
            "forward",
            "Передать в комиссию",
            "reviewer",
            ("under_check",),
            "forwarded",
            needs_accepted_files=True,
        ),
        Move("review", "Начать рассмотрение", "reviewer", ("forwarded",), "under_review"),
        Move("pass", "Аккредитация пройдена", "reviewer", ("under_review",), "passed"),
        Move(
            "fail",
            "Аккредитация не пройдена",
            "reviewer",
            ("under_review",),
            "not_passed",
            needs_comment=True,
        ),
        Move(
            "confirm",
            "Подтвердить",
            "reviewer",
            ("under_check",),
            "confirmed",
            needs_accepted_files=True,
        ),
        Move("refuse", "Отказать", "reviewer", ("under_check",), "refused", needs_comment=True),
    )
}


class MoveRefused(Exception):
    """The move is not in the machine (or not in this kind); the message is Russian."""


def target(state: str, action: str, role: str, allowed: frozenset[str]) -> str:
    """The state `action` leads to from `state` for `role` within a kind's `allowed` actions.

    Raises MoveRefused for anything else: an unknown action, one the kind does not use, the
    wrong role, or a state the action does not start from.
    """
    move = MOVES.get(action)
    if move is None or action not in allowed:
        raise MoveRefused("Такого действия с заявлением нет.")
    if move.role != role:
        raise MoveRefused("Это действие вам недоступно.")
    if state not in move.sources:
        raise MoveRefused(
            f"Действие «{move.title}» невозможно: заявление в статусе «{STATES[state]}»."
        )
    return move.target


def available(state: str, role: str, allowed: frozenset[str]) -> list[Move]:
    """The moves `role` may take now, in the machine's order."""
    return [
        m for m in MOVES.values() if m.action in allowed and m.role == role and state in m.sources
    ]
