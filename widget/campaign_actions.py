"""What the operator does to a campaign's life, one function per action, for the desk and the command line
alike (as :mod:`widget.actions` does for the rest): pause, resume, close, extend, and write a campaign in the
desk. Each decides on the campaign as the database holds it inside the transaction of its change, and
appends its audit entry there (actor: an admin's address or ``cli:<OS user>``).

A refused action raises :class:`CampaignActionError` and changes nothing; an action that finds the campaign
already as asked changes nothing and records nothing (``changed`` is False).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping

from . import audit
from .appstate import state
from .campaign_registry import with_life
from .campaigns import CONSENT_TEXTS, Campaign, Problem, campaign_from_spec, check_spec
from .i18n import LANGUAGES
from .moments import iso_moment, parse_moment
from .store.campaigns import Life


class CampaignActionError(ValueError):
    """An action that cannot be done; ``code`` names why (``unknown``, ``closed``, ``past``,
    ``before_opens``, ``changed``, ``file``), the message says it in English."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LifeChange:
    """A campaign before and after an action, and whether the action changed anything."""

    before: Campaign
    after: Campaign
    changed: bool


def _known(slug: str) -> Campaign:
    campaigns = state().campaigns
    campaigns.refresh(force=True)  # decide on every campaign there is, the desk's newest included
    if slug not in campaigns:
        raise CampaignActionError("unknown", f"no campaign {slug!r}; known: {', '.join(sorted(campaigns))}")
    return campaigns.written(slug)


def _life_record(campaign: Campaign, now: float) -> dict[str, Any]:
    return {"status": campaign.status(now), "closes": iso_moment(campaign.ended_at(now) or campaign.closes)}


def _change(slug: str, action: str, actor: str, decide: Any) -> LifeChange:
    """Run ``decide(campaign as it is now, now)`` in the life's transaction: it returns the life's columns
    to set (None: nothing to do) or raises CampaignActionError."""
    written = _known(slug)
    pledge = state()

    def note(before: Life, after: Life) -> Any:
        now = time.time()
        return audit.note(actor, action, f"campaign:{slug}", _life_record(with_life(written, before), now),
                          _life_record(with_life(written, after), now))

    before, after = pledge.store.change_life(slug, lambda life, now: decide(with_life(written, life), now), note)
    pledge.campaigns.refresh(force=True)  # this process's pages follow at once; others' at their next look
    return LifeChange(with_life(written, before), with_life(written, after), before != after)


def pause(slug: str, actor: str) -> LifeChange:
    """Stop signing for a while: the widget says it resumes soon, every POST answers 410."""
    def decide(campaign: Campaign, now: float) -> dict | None:
        if campaign.status(now) == "closed":
            raise CampaignActionError("closed", f"campaign {slug!r} is closed: `campaign extend` opens it again")
        return None if campaign.paused_at is not None else {"paused_at": now}
    return _change(slug, "campaign.pause", actor, decide)


def resume(slug: str, actor: str) -> LifeChange:
    """Let a paused campaign be signed again."""
    def decide(campaign: Campaign, now: float) -> dict | None:
        if campaign.status(now) == "closed":
            raise CampaignActionError("closed", f"campaign {slug!r} is closed: `campaign extend` opens it again")
        return {"paused_at": None} if campaign.paused_at is not None else None
    return _change(slug, "campaign.resume", actor, decide)


def close(slug: str, actor: str) -> LifeChange:
    """Close signing now, for good (until an extension): the widget shows the final count and thanks."""
    def decide(campaign: Campaign, now: float) -> dict | None:
        return None if campaign.status(now) == "closed" else {"closed_at": now, "paused_at": None}
    return _change(slug, "campaign.close", actor, decide)


def extend(slug: str, to: float, actor: str) -> LifeChange:
    """Set when signing closes to ``to`` (a moment to come, after the opening): a closed campaign opens again
    until then; a paused one stays paused."""
    def decide(campaign: Campaign, now: float) -> dict | None:
        if to <= now:
            raise CampaignActionError("past", f"{iso_moment(to)} has passed: extend to a moment to come")
        if campaign.opens is not None and to <= campaign.opens:
            raise CampaignActionError("before_opens", f"{iso_moment(to)} is not after the opening, "
                                                      f"{iso_moment(campaign.opens)}")
        if campaign.closes == to and campaign.closed_at is None:
            return None
        return {"closes": to, "closed_at": None}
    return _change(slug, "campaign.extend", actor, decide)


# -- campaigns written in the desk ---------------------------------------------------------------------


def _effective(spec: Mapping[str, Any], key: str, lang: str) -> str:
    """The text ``key`` a visitor in ``lang`` reads (falling back to the default language's)."""
    texts = spec.get("texts", {})
    default = spec.get("default_lang") or next(iter(texts), "")
    return texts.get(lang, {}).get(key) or texts.get(default, {}).get(key) or ""


def consent_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether a visitor in any language would read another wording of something they agree to."""
    return any(_effective(before, key, lang) != _effective(after, key, lang)
               for key in CONSENT_TEXTS for lang in LANGUAGES)


def _flat(spec: Mapping[str, Any]) -> dict[str, Any]:
    flat = {key: value for key, value in spec.items() if key != "texts"}
    for lang, values in spec.get("texts", {}).items():
        flat.update({f"texts.{lang}.{key}": text for key, text in values.items()})
    return flat


def save_campaign(slug: str, spec: dict[str, Any], actor: str, create: bool,
                  expected: float | None = None) -> tuple[Campaign | None, list[Problem]]:
    """Write a campaign in the desk: a new one (``create``), or a new version of one (``expected``: its
    ``updated_at`` when the editor was opened; another save since is refused, code ``changed``). It is
    checked by the campaigns file's rules; problems come back and nothing is written. Its
    ``consent_version`` is the desk's to keep: 1 at first, one more each time a wording people agree to
    changes. Returns the campaign as it now is, or the problems."""
    pledge = state()
    campaigns = pledge.campaigns
    campaigns.refresh(force=True)
    problems = check_spec(slug, spec)
    stored = pledge.store.desk_campaigns().get(slug)
    if create and slug in campaigns:
        problems.append(Problem(("slug",), "slug_taken", f"campaign {slug!r} exists already"))
    elif not create and stored is None:
        raise CampaignActionError("file" if slug in campaigns else "unknown",
                                  f"campaign {slug!r} is not written in the desk" if slug in campaigns
                                  else f"no campaign {slug!r}")
    if problems:
        return None, problems
    spec = dict(spec)
    if stored is None:
        spec["consent_version"] = "1"
    else:
        version = str(stored.get("consent_version", "1"))
        spec["consent_version"] = (str(int(version) + 1) if version.isdigit() else f"{version}-2") \
            if consent_changed(stored, spec) else version
    before, after = _flat(stored or {}), _flat(spec)
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    entry = audit.note(actor, "campaign.create" if create else "campaign.edit", f"campaign:{slug}",
                       None if create else {key: before.get(key) for key in changed},
                       {key: after.get(key) for key in changed})
    opens = parse_moment(spec["opens"]) if "opens" in spec else None
    closes = parse_moment(spec["closes"]) if "closes" in spec else None
    if not pledge.store.save_desk_campaign(slug, spec, opens, closes, actor, create, lambda _slug: entry,
                                           expected=expected):
        if create:
            return None, [Problem(("slug",), "slug_taken", f"campaign {slug!r} exists already")]
        raise CampaignActionError("changed", f"campaign {slug!r} was changed by someone else meanwhile")
    campaigns.refresh(force=True)
    return campaigns[slug], []


def preview_campaign(slug: str, spec: dict[str, Any]) -> Campaign | None:
    """The campaign an unsaved ``spec`` would be, for the editor's preview; None when it does not pass
    the checks (the preview then shows the last good one)."""
    if check_spec(slug or "preview", spec):
        return None
    return campaign_from_spec(slug or "preview", spec, "desk")
