"""The T-SQL dialect the splitter and parser read scripts with, and the one sqlglot log line they replace."""

import logging
import re
from functools import cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from vgpt_dagster.sql import DIALECT

_TSQL = type(Dialect.get_or_raise(DIALECT))


class _ScriptTSQL(_TSQL):
    """T-SQL whose tokenizer never swallows the rest of a script into one ``Command`` string.

    sqlglot's tokenizer reads ``PRINT ...``/``FETCH ...`` as a command that runs to the next ``;``, which in
    a procedure without semicolons is the rest of the file; the splitter cuts those statements itself.
    """

    class Tokenizer(_TSQL.Tokenizer):
        COMMANDS = _TSQL.Tokenizer.COMMANDS - {TokenType.COMMAND, TokenType.FETCH, TokenType.END}


SCRIPT_DIALECT = _ScriptTSQL()
TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: .*?>")
GO_LINE = re.compile(r"^[ \t]*GO[ \t]*(\d+)?[ \t]*;?[ \t]*$", re.IGNORECASE | re.MULTILINE)


class DropCommandFallback(logging.Filter):
    """sqlglot logs a warning when it falls back to ``Command``; we report those ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


@cache
def quiet_command_fallback() -> None:
    """Drop sqlglot's "falling back to Command" warnings (the parser reports those statements itself). Called by
    the parser on first use, never at import, so importing the analyzer changes no logging configuration."""
    logging.getLogger("sqlglot").addFilter(DropCommandFallback())
