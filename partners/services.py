"""Writes to the partner registry."""

from typing import Any

from django.db import transaction

from partners.models import Contact, Organization


@transaction.atomic
def organization_save(*, organization: Organization, many: dict[str, Any] | None = None) -> Organization:
    """Validate and save an organization with its many-to-many lists (kinds, counties, ...)."""
    organization.full_clean()
    organization.save()
    for name, values in (many or {}).items():
        getattr(organization, name).set(values)
    return organization


def contact_save(*, contact: Contact) -> Contact:
    """Validate and save a contact; a new primary contact takes over from the old one."""
    contact.full_clean()
    with transaction.atomic():
        if contact.is_primary:
            Contact.objects.filter(organization=contact.organization, is_primary=True).exclude(
                pk=contact.pk
            ).update(is_primary=False)
        contact.save()
    return contact
