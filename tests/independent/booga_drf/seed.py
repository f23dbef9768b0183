"""Seed data: tenant A's files, projects and tickets over several weeks; tenant B's three of each."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import F

from . import KEY_A, KEY_B, KEY_LIMITED, KEY_SCOPED, LIMITED_PER_MINUTE, options
from .models import ApiKey, File, Project, ProjectStatus, Tenant, Ticket, TicketStatus

# A few recurring words, so that search finds several files for one word.
SUBJECTS = ["Report", "Invoice", "Budget", "Roadmap", "Contract", "Minutes", "Forecast", "Summary"]
QUALIFIERS = ["quarterly", "annual", "draft", "final", "board", "team"]
KINDS = [("pdf", "application/pdf"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
         ("csv", "text/csv"), ("png", "image/png"), ("txt", "text/plain")]
SPAN = timedelta(weeks=6)
# Projects: recurring topics (search finds several for one word), a serial number (names distinct).
TOPICS = ["Website relaunch", "Audit", "Onboarding", "Data migration", "Billing revamp", "Mobile app",
          "Security review", "Analytics dashboard"]
# Tickets: recurring subjects, so titles sort with ties broken by the serial number.
TICKET_SUBJECTS = ["Login fails", "Export is slow", "Invoice missing", "Broken link", "Password reset",
                   "Upload stalls", "Wrong totals", "Access request"]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _files(rng: random.Random, tenant: Tenant, count: int, end: datetime, prefix: str = "") -> list[File]:
    sizes = rng.sample(range(1_000, 50_000_000), count)  # distinct: ordering by size is unambiguous
    step = SPAN / max(count, 1)
    files = []
    for n in range(count):
        ext, content_type = rng.choice(KINDS)
        # The serial number keeps names distinct, so ordering by name has no ties between pages.
        name = f"{prefix}{rng.choice(QUALIFIERS).title()}-{rng.choice(SUBJECTS)}-{n + 1:03d}.{ext}"
        created = end - SPAN + step * n + timedelta(seconds=rng.randrange(0, 3600))
        files.append(File(id=_uuid(rng), tenant=tenant, name=name, size=sizes[n],
                          content_type=content_type, created_at=created))
    return files


def _projects(rng: random.Random, tenant: Tenant, count: int, end: datetime, prefix: str = "") -> list[Project]:
    step = SPAN / max(count, 1)
    projects = []
    for n in range(count):
        # About a third archived; the first two of each tenant are one of each, so that a filter by
        # either status always has something to find.
        status = ProjectStatus.ARCHIVED if n == 1 or (n > 1 and rng.random() < 0.3) else ProjectStatus.ACTIVE
        name = f"{prefix}{rng.choice(TOPICS)} {n + 1:03d}"
        created = end - SPAN + step * n + timedelta(seconds=rng.randrange(0, 3600))
        projects.append(Project(id=_uuid(rng), tenant=tenant, name=name, status=status, created_at=created))
    return projects


def _tickets(rng: random.Random, tenant: Tenant, count: int, end: datetime, prefix: str = "") -> list[Ticket]:
    step = SPAN / max(count, 1)
    statuses = list(TicketStatus)
    tickets = []
    for n in range(count):
        # The first three cycle through every status; the rest are drawn.
        status = statuses[n] if n < len(statuses) else rng.choice(statuses)
        title = f"{prefix}{rng.choice(TICKET_SUBJECTS)} #{n + 1:03d}"
        created = end - SPAN + step * n + timedelta(seconds=rng.randrange(0, 3600))
        tickets.append(Ticket(id=_uuid(rng), tenant=tenant, title=title, status=status, created_at=created))
    return tickets


def seed(opts: options.Options) -> None:
    rng = random.Random(20260315)
    now = datetime.now(UTC).replace(microsecond=0)
    tenant_a = Tenant.objects.create(name="tenant-a")
    tenant_b = Tenant.objects.create(name="tenant-b")
    for key, tenant in ((KEY_A, tenant_a), (KEY_B, tenant_b)):
        ApiKey.objects.create(key=key, tenant=tenant, per_minute=opts.per_minute, per_hour=opts.per_hour)
    ApiKey.objects.create(key=KEY_SCOPED, tenant=tenant_a, scopes="projects",
                          per_minute=opts.per_minute, per_hour=opts.per_hour)
    ApiKey.objects.create(key=KEY_LIMITED, tenant=tenant_a, per_minute=LIMITED_PER_MINUTE,
                          per_hour=10 * LIMITED_PER_MINUTE)
    File.objects.bulk_create(_files(rng, tenant_a, opts.files, now - timedelta(days=1)))
    # Tenant B's files are older than all of A's: in a (broken) shared listing they come last.
    File.objects.bulk_create(_files(rng, tenant_b, 3, now - SPAN - timedelta(days=7), prefix="Partner-"))
    # Untouched since upload: updated_at is the creation time (bulk_create stamped "now").
    File.objects.update(updated_at=F("created_at"))
    # Tenant B's projects and tickets are older than all of A's too ("Partner" names, for telling
    # them apart in a broken shared listing).
    older = now - SPAN - timedelta(days=7)
    Project.objects.bulk_create(_projects(rng, tenant_a, opts.projects, now - timedelta(days=1)))
    Project.objects.bulk_create(_projects(rng, tenant_b, 3, older, prefix="Partner "))
    Project.objects.update(updated_at=F("created_at"))
    Ticket.objects.bulk_create(_tickets(rng, tenant_a, opts.tickets, now - timedelta(days=1)))
    Ticket.objects.bulk_create(_tickets(rng, tenant_b, 3, older, prefix="Partner: "))
    Ticket.objects.update(updated_at=F("created_at"))
