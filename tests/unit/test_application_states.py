"""The state machine: every (state, action, role) is tried; only the machine's moves pass."""

import itertools

import pytest

from webapp.applications import states
from webapp.applications.kinds import KINDS

ROLES = ("worker", "reviewer", "orgadmin", "admin")
ALL = frozenset(states.MOVES)


@pytest.mark.parametrize(
    ("state", "action", "role"), list(itertools.product(states.STATES, states.MOVES, ROLES))
)
def test_only_the_machines_moves_are_possible(state, action, role):
    move = states.MOVES[action]
    if state in move.sources and role == move.role:
        assert states.target(state, action, role, ALL) == move.target
    else:
        with pytest.raises(states.MoveRefused) as refused:
            states.target(state, action, role, ALL)
        assert refused.value.args[0]  # a Russian reason to show


def test_final_states_have_no_way_out():
    for state in states.FINAL:
        assert not any(state in m.sources for m in states.MOVES.values())


@pytest.mark.parametrize("kind", KINDS.values(), ids=lambda k: k.slug)
def test_a_kind_can_only_take_its_own_moves(kind):
    for action, move in states.MOVES.items():
        for source in move.sources:
            if action in kind.actions:
                assert states.target(source, action, move.role, kind.actions) == move.target
            else:
                with pytest.raises(states.MoveRefused):
                    states.target(source, action, move.role, kind.actions)


@pytest.mark.parametrize("kind", KINDS.values(), ids=lambda k: k.slug)
def test_every_kind_reaches_a_decision_from_a_draft(kind):
    """Walking the kind's moves from «draft» reaches a final state other than withdrawn."""
    reached, frontier = {"draft"}, ["draft"]
    while frontier:
        state = frontier.pop()
        for move in states.available(state, "worker", kind.actions) + states.available(
            state, "reviewer", kind.actions
        ):
            if move.target not in reached:
                reached.add(move.target)
                frontier.append(move.target)
    assert reached & (set(states.FINAL) - {"withdrawn"})
    assert "returned" in reached


def test_unknown_actions_are_refused():
    with pytest.raises(states.MoveRefused):
        states.target("draft", "approve-everything", "worker", ALL)
