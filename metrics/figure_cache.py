"""Published figures kept in the cache until what they were made from changes.

A dashboard's figures cost a few queries over the rollups and the publication layer's solving; between
two rollups they do not change, so a page repeated costs a cache read (Redis at ``CACHE_URL``, else
the database's cache table: either way shared by every web process). As DHIS2 clears its analytics
cache when the analytics tables are regenerated, a cached answer is keyed by what it was made from:

- the rollups' freshness: the latest ``RollupFreshness`` of its networks, read from the database on
  every request (one small query), so figures are never served after a rollup or a rebuild changed
  them, whatever wrote the rows;
- a stamp of each of its networks, and one of everything, changed when a model it depends on is saved
  or deleted and the change committed (goals, commitments, memberships, contracts, reports' statuses,
  names, estimates, ...):
  each app says which of its models count, and how to find their network, with `watch`;
- the viewer (`network.selectors.Viewer`: whose figures it may see identified), the page's own
  arguments and today's date.

A stamp lost from the cache (evicted, or Redis restarted) is made anew, so every answer cached with the
old one is missed, never served. Answers also expire after ``TIMEOUT``.
"""

import hashlib
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from metrics.models import RollupFreshness

T = TypeVar("T")

PREFIX = "figures:"
EVERYTHING = "all"
# A backstop: the keys change when the figures do, so an answer needs no earlier end than this.
TIMEOUT = 60 * 60


def watch(model: type[Model], network_of: Callable[[Any], int | None] | None = None) -> None:
    """A save or delete of ``model`` changes the figures of the network ``network_of`` names (of every
    network, without it or when it names none)."""

    def changed_by(sender: type[Model], instance: Model, **kwargs: Any) -> None:
        if kwargs.get("raw"):  # fixtures loading: nothing cached to change
            return
        network_id = network_of(instance) if network_of else None
        # Once the change is committed: a page read before then, under the old stamp, read the old rows.
        transaction.on_commit(lambda: changed(None if network_id is None else [network_id]))

    uid = f"figure-cache:{model._meta.label}"
    post_save.connect(changed_by, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(changed_by, sender=model, weak=False, dispatch_uid=uid)


def changed(network_ids: Iterable[int] | None) -> None:
    """Every cached answer about these networks (None: about any network) is out of date."""
    names = [EVERYTHING] if network_ids is None else [str(pk) for pk in network_ids]
    cache.set_many({f"{PREFIX}stamp:{name}": uuid.uuid4().hex for name in names}, timeout=None)


def _stamps(network_ids: Sequence[int]) -> list[str]:
    """The stamp of everything, then each network's in the order given, made where missing."""
    keys = [f"{PREFIX}stamp:{name}" for name in [EVERYTHING, *map(str, network_ids)]]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, timeout=None)  # another process may have just made it
            found[key] = cache.get(key)
    return [found[key] or "" for key in keys]


def viewer_key(viewer: Any) -> tuple:
    """A `network.selectors.Viewer` as a key: the same whichever order its sets were built in."""
    if viewer is None:
        return ()
    return (
        viewer.everything,
        sorted(viewer.every_partner_of),
        sorted(viewer.organization_ids),
        sorted(viewer.shared),
        sorted(viewer.states),
    )


def cached(*, name: str, network_ids: Sequence[int], parts: Sequence[Any], build: Callable[[], T]) -> T:
    """``build()``'s answer for the page ``name`` about ``network_ids`` with ``parts`` (the viewer's
    key, the page's arguments, today), from the cache while none of them changed."""
    return cached_each(name=name, groups={None: network_ids}, parts=parts, build=lambda _: build())[None]


def cached_each(
    *,
    name: str,
    groups: Mapping[Hashable, Sequence[int]],
    parts: Sequence[Any],
    build: Callable[[Hashable], T],
) -> dict[Hashable, T]:
    """`cached` for several groups of networks at once (the states of the cross-state dashboard, each
    solved on its own): each group's answer kept apart, so a rollup in one network makes only its
    group's again. One query and three cache round trips, whatever the number of groups."""
    every = sorted({pk for network_ids in groups.values() for pk in network_ids})
    fresh = dict(
        RollupFreshness.objects.filter(network_id__in=every).values_list("network_id", "refreshed_at")
    )
    stamps = dict(zip([EVERYTHING, *map(str, every)], _stamps(every), strict=True))
    keys = {}
    for group, network_ids in groups.items():
        ids = sorted(network_ids)
        fingerprint = repr(
            (
                name,
                list(parts),
                max((fresh[pk] for pk in ids if pk in fresh), default=None),
                [stamps[EVERYTHING], *(stamps[str(pk)] for pk in ids)],
            )
        )
        keys[group] = f"{PREFIX}{name}:{hashlib.sha256(fingerprint.encode()).hexdigest()}"
    found = cache.get_many(list(keys.values()))
    answers, made = {}, {}
    for group, key in keys.items():
        if key in found:
            answers[group] = found[key]
        else:
            answers[group] = made[key] = build(group)
    if made:
        cache.set_many(made, timeout=TIMEOUT)
    return answers


def page_arguments(query: Any, *, leave_out: Iterable[str] = ("download",)) -> list[tuple[str, list[str]]]:
    """A page's query string as a key, without the parameters that do not change its figures."""
    left_out = set(leave_out)
    return sorted((name, values) for name, values in query.lists() if name not in left_out)


def watch_reporting() -> None:
    """The models below the dashboards whose changes change their figures, outside the rollups."""
    from metrics.models import Breakdown, Category, Measure, MonthlyReport
    from network.models import (
        Contract,
        ContractStageChange,
        DataSharingChange,
        Membership,
        Network,
        PartnerChoiceChange,
    )
    from partners.models import Organization, State

    for model in (Measure, Breakdown, Category, Organization, State):
        watch(model)
    watch(Network, lambda network: network.pk)
    for model in (MonthlyReport, Membership, Contract):
        watch(model, lambda row: row.network_id)
    watch(DataSharingChange, lambda change: change.membership.network_id)
    watch(PartnerChoiceChange, lambda change: change.membership.network_id)
    watch(ContractStageChange, lambda change: change.contract.network_id)
