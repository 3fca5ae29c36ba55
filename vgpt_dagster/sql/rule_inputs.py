"""What every analyzer rule receives: the walked statements, the catalog and the options."""

from dataclasses import dataclass
from functools import cached_property

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.sql.columns import Binding, bind_columns
from vgpt_dagster.sql.company import company_filter_status
from vgpt_dagster.sql.joins import FoundJoin, find_joins
from vgpt_dagster.sql.lookup import CatalogMemo
from vgpt_dagster.sql.scope import StatementInfo


@dataclass(eq=False)
class RuleInputs:
    """Input of ``rules.<name>.check(ctx)``; column bindings and joins are computed once, on first use."""

    sql: str
    catalog: Catalog
    memo: CatalogMemo
    statements: list[StatementInfo]
    require_select: bool = True
    require_nolock: bool = True
    require_company_filter: bool = True

    @cached_property
    def bindings(self) -> list[Binding]:
        return [b for info in self.statements for b in bind_columns(info)]

    @cached_property
    def company_statuses(self) -> list[bool | None]:
        """Per statement: company column pinned (True), not pinned (False), nothing company-keyed (None)."""
        return [company_filter_status(info, self.memo) for info in self.statements]

    @cached_property
    def joins(self) -> list[FoundJoin]:
        return [j for info in self.statements for j in find_joins(info, self.memo)]
