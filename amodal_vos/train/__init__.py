"""Training: recipes (configs/train/*.yaml) of stages and objectives, the losses of Amodal SAM III-D (plus SAM-2's
IoU and object-score terms and PLUG's point loss), the shape discriminator, the memory-bank rollout shared with
the evaluator, and the trainer (one process or DDP, resumable). Entry points: ``load_recipe`` and ``Trainer``."""

from amodal_vos.train.recipe import Recipe, list_recipes, load_recipe
from amodal_vos.train.trainer import Trainer

__all__ = ["Recipe", "Trainer", "list_recipes", "load_recipe"]
