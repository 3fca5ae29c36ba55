"""KTO class weights: solve ``auto`` weights from the label counts, check explicit ones against [1:1, 4:3].

TRL's KTO guidance: (desirable_weight x n_desirable) / (undesirable_weight x n_undesirable) should lie between
1 and 4/3. The counts are those of the train split after ``max_train_samples`` (stratified by label).
"""

from dataclasses import dataclass

from vgpt_dagster.errors import TrainingError
from vgpt_dagster.training.recipe import KTO_RATIO_RANGE, StageRecipe


@dataclass(frozen=True)
class KtoWeights:
    """Class weights a KTO run uses, and the weighted desirable:undesirable ratio they give."""

    desirable: float
    undesirable: float
    ratio: float
    n_desirable: int
    n_undesirable: int
    auto: bool  # at least one weight was "auto"

    def metadata(self) -> dict:
        return {
            "kto_desirable_weight": self.desirable,
            "kto_undesirable_weight": self.undesirable,
            "kto_weighted_ratio": self.ratio,
            "kto_weights_auto": self.auto,
            "rows_desirable": self.n_desirable,
            "rows_undesirable": self.n_undesirable,
        }


def resolve_kto_weights(recipe: StageRecipe, n_desirable: int, n_undesirable: int, source: str) -> KtoWeights:
    """The class weights for these label counts; ``"auto"`` weights hit ``kto_target_ratio``, explicit ones are checked.

    One ``"auto"`` weight is solved for with the other fixed. Both ``"auto"``: the minority class is weighted up
    and the majority keeps 1.0 (TRL's example: 1:10 data -> desirable_weight 10..13.3, undesirable 1).

    Examples:
        >>> r = StageRecipe(stage="kto", per_device_train_batch_size=4)  # desirable "auto", undesirable 1.0
        >>> w = resolve_kto_weights(r, 11, 5, "kto")
        >>> (w.desirable, w.undesirable, w.ratio)
        (0.522727, 1.0, 1.15)
        >>> w = resolve_kto_weights(r.model_copy(update={"kto_undesirable_weight": "auto"}), 11, 5, "kto")
        >>> (w.desirable, w.undesirable, w.ratio)
        (1.0, 1.913043, 1.15)
    """
    if n_desirable == 0 or n_undesirable == 0:
        raise TrainingError(
            f"{source}: KTO needs both desirable and undesirable rows in the train split; got "
            f"{n_desirable} desirable / {n_undesirable} undesirable. Rebuild the kto dataset with both labels."
        )
    d, u, target = recipe.kto_desirable_weight, recipe.kto_undesirable_weight, recipe.kto_target_ratio
    auto = d == "auto" or u == "auto"
    if d == "auto" and u == "auto":  # weight the under-represented class up, keep the other at 1.0
        if n_desirable >= target * n_undesirable:
            d, u = 1.0, n_desirable / (target * n_undesirable)
        else:
            d, u = target * n_undesirable / n_desirable, 1.0
    elif d == "auto":
        d = target * u * n_undesirable / n_desirable
    elif u == "auto":
        u = d * n_desirable / (target * n_undesirable)
    d, u = round(float(d), 6), round(float(u), 6)
    ratio = round(d * n_desirable / (u * n_undesirable), 4)
    lo, hi = KTO_RATIO_RANGE
    if not lo <= ratio <= hi:
        suggested = round(n_undesirable * target * u / n_desirable, 3)
        raise TrainingError(
            f"{source}: weighted desirable:undesirable ratio is {ratio} "
            f"({d} x {n_desirable} : {u} x {n_undesirable}); KTO wants it between 1:1 and 4:3. "
            f"Set kto_desirable_weight: auto (solved from the label counts for kto_target_ratio {target}), or "
            f"kto_desirable_weight: {suggested} (with kto_undesirable_weight: {u}), in configs/stage3_kto.yaml "
            "or via --set."
        )
    return KtoWeights(d, u, ratio, n_desirable, n_undesirable, auto)


def check_kto_balance(recipe: StageRecipe, n_desirable: int, n_undesirable: int, source: str) -> float:
    """Weighted desirable:undesirable ratio; TrainingError unless it lies in [1, 4/3] (TRL's KTO guidance).

    Examples:
        >>> r = StageRecipe(stage="kto", per_device_train_batch_size=4, kto_desirable_weight=1.0)
        >>> check_kto_balance(r, 120, 100, "kto")
        1.2
    """
    return resolve_kto_weights(recipe, n_desirable, n_undesirable, source).ratio
