"""What one step of a call did, as the call-event log records it: kinds and fields, nothing personal."""
from __future__ import annotations

from ..core.actions import Position, Transfer
from ..core.flow import CallFlow
from ..core.step import Step


def step_events(flow: CallFlow, pos: Position | None, step: Step, actions: list, lang: str = "") -> list[tuple[str, dict[str, str]]]:
    """Return the events of one step of a call, as (kind, fields) for EventLog.record.

    lang: the language a path that is no position (pos None) started with, as CallFlow.respond takes it.
    """
    out: list[tuple[str, dict[str, str]]] = []
    key = flow.meaning(pos, step)  # as CallFlow.respond reads the step
    if pos is not None and flow.exists(pos):
        if pos.kind in ("dialled", "emergency_dialled"):
            out.append(("transfer_outcome", {**_where(pos), "organisation": pos.org, "outcome": step.dial_status}))
        elif key:
            out += _key_events(flow, pos, key)
    elif key == flow.emergency.key:  # at a position that no longer exists, the emergency key still counts
        lang = pos.lang if pos is not None else lang
        out.append(("emergency_key", {"lang": lang if lang in flow.codes else "", "menu": ""}))
    for action in actions:
        if isinstance(action, Transfer):
            out.append(("transfer_attempted", {**_where(action.at), "organisation": action.at.org}))
    return out


def _key_events(flow: CallFlow, pos: Position, key: str) -> list[tuple[str, dict[str, str]]]:
    if key == flow.emergency.key:
        return [("emergency_key", _where(pos))]
    if key in (flow.keys.repeat, flow.keys.back):
        return []
    target = flow.choices(pos).get(key)
    if target is None or target.kind not in ("menu", "org"):
        return []  # a wrong key, another page of languages, or a retry (its transfer is an event)
    if pos.kind == "languages":
        return [("language_chosen", _where(target))]
    return [("option_chosen", {**_where(target), "organisation": target.org})]


def _where(pos: Position) -> dict[str, str]:
    return {"lang": pos.lang, "menu": pos.trail[-1] if pos.trail else ""}
