"""Reports in the tenant schema.

The domain's ``Status`` enum is registered with strawberry here, in the package's
``__init__``, so every module of the package can annotate with it directly.
"""

import strawberry

from jogo.tenants.reports.lifecycle import Status

strawberry.enum(Status, name="ReportStatus", description="Where a report is in its lifecycle.")
