"""Training data generated from the Vista catalog and audited with the SQL analyzer (no Dagster here).

Modules: ``config`` (configs/datasets.yaml), ``pairs`` (fake/real names), ``sqlgen`` (convention-following
SELECTs), ``sft`` / ``dpo`` / ``kto`` (the three training sets), ``audit`` (blocking checks),
``llamafactory`` (export), ``corpus`` (mining the user's .sql files), ``imports`` (existing LLaMA-Factory
data), ``io`` (parquet + manifest) and ``build`` (one function per Dagster asset).
"""
