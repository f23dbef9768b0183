"""Seed data: tenant A's files, projects and tickets over several weeks; tenant B's three of each.

Files get tags and attributes, projects members and settings, from a random source of their own
(so names, sizes and statuses are the ones they always were). Tenant A's own key has read every
one of A's projects, tenant B's key one of B's (a project's `unread` is per key).

Breaker BGA-TENANCY-LIST@tickets:deep: tenant B owns 110 tickets of each status (330), all newer than
A's, so B's own tickets fill more than 100 rows of every listing B can ask for (filtered by status or
by a day of A's, in any order): B's listing shows A's tickets only after them.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import F

from . import KEY_A, KEY_B, KEY_LIMITED, KEY_SCOPED, LIMITED_PER_MINUTE, options
from .models import (
    ApiKey,
    File,
    Project,
    ProjectStatus,
    ProjectVisibility,
    ReadReceipt,
    Tenant,
    Ticket,
    TicketStatus,
)

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
# Files' tags and attributes, projects' members and settings.
TAGS = ["finance", "legal", "hr", "ops", "sales", "archive", "urgent", "external"]
OWNERS = ["ann", "bob", "chen", "dora", "emil", "fatima"]
CHANNELS = ["#general", "#releases", "#alerts", "#support"]
DEEP_TICKETS_PER_STATUS = 110  # BGA-TENANCY-LIST@tickets:deep: B's own tickets of each status
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


def _decorate(rng: random.Random, files: list[File], projects: list[Project]) -> None:
    """Tags and attributes of files, members and settings of projects (a few empty ones included)."""
    for file in files:
        file.tags = rng.sample(TAGS, rng.randrange(0, 4))
        file.attributes = {"owner": rng.choice(OWNERS), "labels": rng.sample(TAGS, rng.randrange(0, 3)),
                           "retention_days": rng.choice([30, 90, 365, 3650])}
    for project in projects:
        project.members = rng.sample(OWNERS, rng.randrange(0, 4))
        project.settings = {"visibility": rng.choice(list(ProjectVisibility)).value,
                            "notify": rng.random() < 0.7, "channels": rng.sample(CHANNELS, rng.randrange(0, 3))}


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


def _tickets(rng: random.Random, tenant: Tenant, count: int, end: datetime, prefix: str = "",
             span: timedelta = SPAN, cycle: bool = False) -> list[Ticket]:
    step = span / max(count, 1)
    statuses = list(TicketStatus)
    tickets = []
    for n in range(count):
        # The first three cycle through every status (all of them do with `cycle`); the rest are drawn.
        status = statuses[n % len(statuses)] if n < len(statuses) or cycle else rng.choice(statuses)
        title = f"{prefix}{rng.choice(TICKET_SUBJECTS)} #{n + 1:03d}"
        created = end - span + step * n + timedelta(seconds=rng.randrange(0, 3600 if span >= SPAN else 60))
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
    files_a = _files(rng, tenant_a, opts.files, now - timedelta(days=1))
    # Tenant B's files are older than all of A's: in a (broken) shared listing they come last.
    files_b = _files(rng, tenant_b, 3, now - SPAN - timedelta(days=7), prefix="Partner-")
    # Tenant B's projects and tickets are older than all of A's too ("Partner" names, for telling
    # them apart in a broken shared listing).
    older = now - SPAN - timedelta(days=7)
    projects_a = _projects(rng, tenant_a, opts.projects, now - timedelta(days=1))
    projects_b = _projects(rng, tenant_b, 3, older, prefix="Partner ")
    _decorate(random.Random(20260316), [*files_a, *files_b], [*projects_a, *projects_b])
    File.objects.bulk_create([*files_a, *files_b])
    # Untouched since upload: updated_at is the creation time (bulk_create stamped "now").
    File.objects.update(updated_at=F("created_at"))
    Project.objects.bulk_create([*projects_a, *projects_b])
    Project.objects.update(updated_at=F("created_at"))
    key_a, key_b = ApiKey.objects.get(key=KEY_A), ApiKey.objects.get(key=KEY_B)
    ReadReceipt.objects.bulk_create([ReadReceipt(api_key=key_a, project=p) for p in projects_a]
                                    + [ReadReceipt(api_key=key_b, project=p) for p in projects_b[:1]])
    Ticket.objects.bulk_create(_tickets(rng, tenant_a, opts.tickets, now - timedelta(days=1)))
    if opts.broken == "BGA-TENANCY-LIST@tickets:deep":
        # Newer than all of A's (created within the last 22 hours), each status alike.
        count = DEEP_TICKETS_PER_STATUS * len(TicketStatus)
        Ticket.objects.bulk_create(_tickets(rng, tenant_b, count, now - timedelta(minutes=5), prefix="Partner: ",
                                            span=timedelta(hours=22), cycle=True))
    else:
        Ticket.objects.bulk_create(_tickets(rng, tenant_b, 3, older, prefix="Partner: "))
    Ticket.objects.update(updated_at=F("created_at"))
