"""LoRA training stages (SFT -> DPO v3 -> KTO) on TRL/PEFT; no dagster imports (see pipes_entry for Pipes)."""
