"""The directory as a whole: CSV import of agencies, hospitals and cameras, and the
command's go-live readiness (tenant schema; readiness per tenant in the platform schema)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from jogo.graphql.context import Context
from jogo.graphql.election.types import ImportRowError
from jogo.graphql.errors import UserError, attempt
from jogo.graphql.http import UploadedFile
from jogo.graphql.permissions import requires, writes
from jogo.platform.auth.roles import Cap
from jogo.platform.errors import InvalidInput
from jogo.tenants.agencies.imports import DirectoryImportResult, do_import_directory
from jogo.tenants.onboarding.readiness import ReadinessItem, readiness


@strawberry.enum(description="What a directory CSV file holds.")
class DirectoryKind(Enum):
    AGENCIES = "agencies"
    HOSPITALS = "hospitals"
    CAMERAS = "cameras"


@strawberry.enum(description="BLOCKER: do not go live; WARNING: part of the service fails.")
class ReadinessSeverity(Enum):
    BLOCKER = "BLOCKER"
    WARNING = "WARNING"
    INFO = "INFO"


@strawberry.type(description="One thing a command still lacks before it should go live.")
class ReadinessIssue:
    code: str = strawberry.field(
        description="NO_TENANT_ADMIN, NO_OPERATOR, NO_HOSPITALS, NO_AGENCY_FOR_CATEGORY,"
        " NO_POLICE_POSTS, SAMPLE_DIRECTORY or NO_CAMERAS."
    )
    severity: ReadinessSeverity
    subject: str | None = strawberry.field(
        description="The category code, for NO_AGENCY_FOR_CATEGORY."
    )
    message: str = strawberry.field(description="Bahasa Indonesia, then English.")

    @classmethod
    def of(cls, item: ReadinessItem) -> ReadinessIssue:
        """One open readiness item: stable code, severity (BLOCKER, WARNING, INFO), subject and the
        bilingual message.
        """
        return cls(
            code=item.code,
            severity=ReadinessSeverity(item.severity),
            subject=item.subject,
            message=item.message,
        )


@strawberry.type(description="What a command still lacks; ready when there is no blocker.")
class Readiness:
    ready: bool = strawberry.field(description="No BLOCKER item.")
    issues: list[ReadinessIssue]

    @classmethod
    def of(cls, items: list[ReadinessItem]) -> Readiness:
        """The readiness report: ``ready`` when no item is a BLOCKER, and every item in the given
        order (blockers first).
        """
        return cls(
            ready=not any(i.severity == "BLOCKER" for i in items),
            issues=[ReadinessIssue.of(i) for i in items],
        )


@strawberry.type
class ImportDirectoryPayload:
    kind: DirectoryKind | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = strawberry.field(default=0, description="Rows with faults.")
    kept: bool = strawberry.field(
        default=False, description="False when faults stopped the whole file (not partial)."
    )
    row_errors: list[ImportRowError] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DirectoryQuery:
    @strawberry.field(
        description="What the command still lacks before it should go live (tenant admins).",
        permission_classes=[requires(Cap.TENANT_ADMIN)],
    )
    async def readiness(self, info: Info[Context, None]) -> Readiness | None:
        """What this command still lacks before going live, blockers first (no tenant admin
        or operator, a category without an agency, no hospitals, …). Needs ``TENANT_ADMIN``.
        """
        return Readiness.of(await readiness(info.context.require_tenant().id))


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(
        description="Import agencies, hospitals or cameras from CSV (tenant admins): the file"
        " of a multipart request, or its text in csv. All or nothing unless partial; a known"
        " code updates its entry. Columns: see the README.",
        extensions=writes(Cap.DIRECTORY_WRITE),
    )
    async def import_directory(
        self,
        info: Info[Context, None],
        kind: DirectoryKind,
        file: Upload | None = None,
        csv: str | None = None,
        partial: bool = False,
    ) -> ImportDirectoryPayload:
        """Import agencies, hospitals or cameras from CSV, sent either as a multipart ``file`` or as
        ``csv`` text; a known code updates its entry. All or nothing unless ``partial`` (valid
        rows kept); row faults come back as ``rowErrors`` with line and column.

        Needs ``DIRECTORY_WRITE``. ``INVALID_INPUT`` on ``file`` for both or neither given, a file
        not sent as multipart, or a file that cannot be read as that kind's CSV.
        """
        ctx = info.context
        tenant = ctx.require_tenant()

        async def run() -> DirectoryImportResult:
            if (file is None) == (csv is None):
                raise InvalidInput("send either file (multipart) or csv (text)", field="file")
            if file is not None and not isinstance(file, UploadedFile):
                raise InvalidInput("send the CSV as a file of a multipart request", field="file")
            data = file.data if isinstance(file, UploadedFile) else (csv or "").encode()
            return await do_import_directory(
                tenant,
                ctx.principal,
                kind.value,
                data,
                partial=partial,
                allow_private_egress=ctx.settings.allow_private_egress,
            )

        result, errors = await attempt(run)
        if result is None:
            return ImportDirectoryPayload(errors=errors)
        return ImportDirectoryPayload(
            kind=kind,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            rejected=result.rejected,
            kept=result.kept,
            row_errors=[ImportRowError.of(e) for e in result.errors],
        )
