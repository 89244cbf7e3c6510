"""The organisations' checks: opening hours and their alternatives, transfers Twilio may refuse."""
from __future__ import annotations

from ..core.model import Settings
from .humanize import suggest
from .context import Context


def check_hours(ctx: Context, organisations: dict) -> None:
    """Check each alternative for a closed organisation."""
    for name, org in organisations.items():
        if not org or not org.hours:
            continue
        path = ("organisations", name, "hours", "alternative")
        alternative = org.hours.alternative
        if alternative == name:
            ctx.add(path, f"'{name}' cannot be its own alternative. Name another organisation, or remove it.")
        elif alternative and alternative not in organisations:
            ctx.add(path, f"unknown organisation '{alternative}'.{suggest(alternative, organisations)}")
        elif alternative and organisations[alternative] and organisations[alternative].hours and not organisations[alternative].hours.always:
            ctx.add(path, f"the alternative '{alternative}' has opening hours too: callers may find both closed", warning=True)

def warn_transfers(ctx: Context, settings: Settings | None, organisations: dict) -> None:
    for name, org in organisations.items():
        if org and org.phone and org.phone.premium:
            ctx.add(("organisations", name, "phone"),
                     f"{org.phone.e164} is a {org.phone.kind} number: Twilio may refuse the transfer (error 13224); callers then hear the number to dial themselves",
                     warning=True)
    if settings and settings.emergency.transfer:
        ctx.add(("hotline", "emergency", "transfer"),
                 f"Twilio places no emergency calls from Dutch numbers: the transfer to {settings.emergency.number.e164} may fail; callers always hear the instruction to dial it themselves first",
                 warning=True)
