"""Reads of monthly reporting that pages and the API share, each behind its permission question.

- partner staff see and submit their own organizations' reports (``partners.submit_report``);
- backbone staff see, approve and return every report of their network (``network.manage_network``);
- a state viewer sees identified reports only of partners that share them with the state.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from metrics.models import MonthlyReport
from network.models import DataSharing, Membership, Network
from network.selectors import (
    User,
    networks_managed_by,
    organizations_for_user,
    states_viewed_by,
)
from partners.models import Organization


def organizations_reporting_for(*, user: User) -> QuerySet[Organization]:
    """Organizations whose reports the user may submit."""
    return organizations_for_user(user=user, perm="partners.submit_report")


def reporting_organization_get(*, user: User, network: Network, organization_id: int) -> Organization:
    """An organization the user submits for, that is or was a partner in ``network``; 404 otherwise."""
    organization = (
        organizations_reporting_for(user=user)
        .filter(pk=organization_id, memberships__network=network)
        .distinct()
        .first()
    )
    if organization is None:
        raise Http404("No such organization in this network.")
    return organization


def _shared_with_state() -> Exists:
    return Exists(
        Membership.objects.filter(
            network=OuterRef("network"),
            organization=OuterRef("organization"),
            left_on__isnull=True,
            data_sharing=DataSharing.BACKBONE_AND_STATE,
        )
    )


def reports_visible_to(*, user: User) -> QuerySet[MonthlyReport]:
    """Every identified report the user may see."""
    reports = MonthlyReport.objects.select_related("organization", "network", "current_version")
    if not user.is_authenticated or not user.is_active:
        return reports.none()
    if user.is_superuser:
        return reports
    return reports.filter(
        Q(organization__in=organizations_reporting_for(user=user))
        | Q(network__in=networks_managed_by(user=user))
        | (Q(network__state__in=states_viewed_by(user=user)) & _shared_with_state())
    )


def report_may_review(*, user: User, report: MonthlyReport) -> bool:
    """Backbone staff of the report's network approve, return and reopen."""
    return networks_managed_by(user=user).filter(pk=report.network_id).exists()


def report_may_edit(*, user: User, report: MonthlyReport) -> bool:
    """Partner staff of the report's organization correct and submit it."""
    return organizations_reporting_for(user=user).filter(pk=report.organization_id).exists()


def report_get_for_user(*, user: User, pk: int) -> MonthlyReport:
    """A report the user may see; 404 to everyone else."""
    report = reports_visible_to(user=user).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report


def report_get_for_review(*, user: User, pk: int) -> MonthlyReport:
    """A report the user may review: 404 if they may not see it, 403 if they may only look."""
    report = report_get_for_user(user=user, pk=pk)
    if not report_may_review(user=user, report=report):
        raise PermissionDenied("Only the network's backbone staff review reports.")
    return report
