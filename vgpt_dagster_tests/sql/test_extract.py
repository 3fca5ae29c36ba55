"""extract_sql / looks_like_sql on the shapes models actually answer with."""

import pytest

from vgpt_dagster.sql.extract import extract_sql, looks_like_sql

ANSWER = """To list open AP invoices for a company:

```sql
-- open invoices
SELECT h.Vendor, h.APRef
FROM APTH h WITH (NOLOCK)

WHERE h.APCo = @APCo;
```

Then, for the lines:

SELECT l.GrossAmt FROM APTL l WITH (NOLOCK)
WHERE l.APCo = @APCo
This returns one row per line.

```
WITH x AS (SELECT 1 AS a) SELECT a FROM x
```

```python
print("not sql")
```
"""


def test_fenced_bare_and_untagged_blocks_in_order():
    assert extract_sql(ANSWER) == [
        "-- open invoices\nSELECT h.Vendor, h.APRef\nFROM APTH h WITH (NOLOCK)\n\nWHERE h.APCo = @APCo;",
        "SELECT l.GrossAmt FROM APTL l WITH (NOLOCK)\nWHERE l.APCo = @APCo",
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    ]


@pytest.mark.parametrize("lang", ["sql", "SQL", "tsql", "t-sql", "mssql"])
def test_sql_languages_are_always_taken(lang):
    assert extract_sql(f"```{lang}\nSELECT 1\n```") == ["SELECT 1"]


@pytest.mark.parametrize(
    "text",
    [
        "The APTH view holds invoice headers.",
        "Select the invoices you need, then update the vendor.",
        "With NOLOCK you avoid blocking the posting.",
        "I'm sorry, that table does not exist in Vista.",
        "```\nsome output\n```",
        "",
    ],
)
def test_prose_gives_nothing(text):
    assert extract_sql(text) == []


def test_bare_statement_types():
    text = "DELETE FROM APTL WHERE APCo = 1\n\nEXEC dbo.bspTest @co = 1\n\nDROP TABLE #t"
    assert extract_sql(text) == ["DELETE FROM APTL WHERE APCo = 1", "EXEC dbo.bspTest @co = 1", "DROP TABLE #t"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * FROM APTH WITH (NOLOCK)", True),
        ("select vendor from apth where apco = 1", True),
        ("DECLARE @APCo bCompany = 1", True),
        ("SELECT statements are used to read data from the tables.", False),
        ("Update the APTH table to fix it.", False),
        ("Vendors are in APVM.", False),
    ],
)
def test_looks_like_sql(text, expected):
    assert looks_like_sql(text) is expected
