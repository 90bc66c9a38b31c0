"""The workflow of a memo, declared as data (in the manner of DCWorkflow).

States list their exits; transitions name their source states, target, guard and whether
a comment is required. ``attest.workflow.engine.apply_transition`` is the only code that
changes a memo's state. A route (which roles attest, in which order) is configuration,
not code: while a memo is under attestation its state is ``attest`` and the current route
step says whose turn it is ("Hos avdelningschef").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from attest.i18n import N_, LazyText, _l
from attest.users.roles import shown_title


class State(str, enum.Enum):
    UTKAST = "utkast"
    ATTEST = "attest"
    ATTESTERAD = "attesterad"
    # A draft its author deleted: the row stays (its Dnr is never given again, its history
    # and audit events keep pointing at it) but no page, list or search shows it.
    RADERAD = "raderad"

    @property
    def label(self) -> str:
        """What a person reads ("Utkast"); not ``title``, which would hide str.title."""
        return STATE_TITLES[self]


STATE_TITLES = {
    State.UTKAST: _l("Utkast"),
    State.ATTEST: _l("Under attest"),
    State.ATTESTERAD: _l("Attesterad"),
    State.RADERAD: _l("Raderat"),
}

# A draft that came back from an attester reads so in lists, not as a plain "Utkast".
RETURNED_TITLE = _l("Returnerad")

# While under attestation the state is shown as whose turn it is: "Hos avdelningschef".
WAITING_AT = N_("Hos %(role)s")


def waiting_title(role_title: str) -> LazyText:
    """A memo's state while it waits at a step: "Hos avdelningschef" (the role as shown)."""
    return _l(WAITING_AT, role=str(shown_title(role_title)).lower())


class Target(str, enum.Enum):
    """Where a transition leads, when that depends on the route."""

    NEXT_STEP = "next_step"  # the next route step, or ATTESTERAD after the last


class Guard(str, enum.Enum):
    """Named guards; attest.workflow.guards implements each one."""

    AUTHOR = "author"  # the memo's author (handläggare)
    CURRENT_ATTESTER = "current_attester"  # the person of the current step, or their t.f.


class Action(str, enum.Enum):
    SKICKA = "skicka"
    ATTESTERA = "attestera"
    RETURNERA = "returnera"
    ATERKALLA = "aterkalla"
    RADERA = "radera"


@dataclass(frozen=True)
class Transition:
    action: Action
    title: str  # the button and the history say this
    sources: frozenset[State]
    target: State | Target
    guard: Guard
    comment_required: bool = False
    past_tense: str = ""  # for the history: "Attesterade"


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(
            Action.SKICKA,
            _l("Skicka för attest"),
            frozenset({State.UTKAST}),
            State.ATTEST,
            Guard.AUTHOR,
            past_tense=_l("Skickade för attest"),
        ),
        Transition(
            Action.ATTESTERA,
            _l("Attestera"),
            frozenset({State.ATTEST}),
            Target.NEXT_STEP,
            Guard.CURRENT_ATTESTER,
            past_tense=_l("Attesterade"),
        ),
        Transition(
            Action.RETURNERA,
            _l("Returnera"),
            frozenset({State.ATTEST}),
            State.UTKAST,
            Guard.CURRENT_ATTESTER,
            comment_required=True,
            past_tense=_l("Returnerade"),
        ),
        Transition(
            Action.ATERKALLA,
            _l("Återkalla"),
            frozenset({State.ATTEST}),
            State.UTKAST,
            Guard.AUTHOR,
            past_tense=_l("Återkallade"),
        ),
        # Also a draft that was returned or withdrawn: what attesters did to its earlier
        # copies stays in the history, the audit log and the voided submissions.
        Transition(
            Action.RADERA,
            _l("Radera utkastet"),
            frozenset({State.UTKAST}),
            State.RADERAD,
            Guard.AUTHOR,
            past_tense=_l("Raderade"),
        ),
    )
}


def exits(state: State) -> tuple[Transition, ...]:
    """The transitions that leave ``state``, in declaration order."""
    return tuple(t for t in TRANSITIONS.values() if state in t.sources)


# A memo may be edited only in these states.
EDITABLE_STATES = frozenset({State.UTKAST})
# A memo in these states is gone for everyone: every page answers 404, no list shows it.
GONE_STATES = frozenset({State.RADERAD})
