"""The rules that choose each object's amodal mask once the model has segmented a frame (a sweep with ``shape``).

The model's new mask is kept unless a rule says otherwise:
- ``shape`` (shape_flow.py): where the object's last mask, moved with its own pixels, is trusted and the new mask
  overlaps it at IoU below the threshold, the moved mask replaces it (a mask that jumps, shrinks or vanishes);
- ``apart`` (apart.py): an object whose new mask jumped onto another object's keeps its last mask;
- ``strays`` (strays.py): a piece of a new mask that lies on another object's mask is removed.
The two last compare objects, so they act only where a frame has two objects or more. The chosen masks become each
group's ``shapes`` (mask and its grid), which the next frame's move starts from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from amodal_vos.tracking.apart import KeepApart
from amodal_vos.tracking.shape_flow import STILL, ShapeFlow, model_grids
from amodal_vos.tracking.strays import DropStrays

if TYPE_CHECKING:
    from amodal_vos.tracking.groups import Group


class MaskRules:
    """``shape`` always; ``apart`` and ``strays`` where given (their thresholds), for frames of size ``hw`` whose
    model masks are ``size`` pixels square."""

    def __init__(
        self, shape: ShapeFlow, apart: float | None, strays: float | None, hw: tuple[int, int], size: int
    ) -> None:
        self.shape, self.hw, self.size = shape, hw, size
        self.apart = KeepApart(apart) if apart is not None else None
        self.strays = DropStrays(strays) if strays is not None else None

    def choose(
        self, groups: list[Group], logits: dict[int, torch.Tensor], moved: dict
    ) -> dict[int, torch.Tensor]:
        """Each group's chosen amodal logits [n, S, S] from the model's (``logits``, by ``id(group)``), given this
        frame's mask moves (``moved``, from the sweep's box moving); sets each group's ``shapes``."""
        chosen = dict(logits)
        objects, new, last, grids = [], [], [], []
        # the last masks where they are now, for the rules that compare objects (pairs: two objects or more)
        pairs = sum(len(x) for x in chosen.values()) > 1
        judged = pairs and (self.apart is not None or self.strays is not None)
        for g in groups:
            grid = model_grids(g.crops, len(chosen[id(g)]), self.hw, self.size)
            moves = moved.get(id(g), (None, None, None))[2]
            kept = chosen[id(g)] = self.shape.choose(chosen[id(g)], g.shapes, moves, grid)
            for i in range(len(kept)):
                objects.append((g, i))
                new.append(kept[i].float().cpu().numpy())
                grids.append(grid[i])
                past = None if g.shapes is None or not judged else g.shapes[i]
                move = None if moves is None else moves[i]
                last.append(
                    None if past is None else ShapeFlow.warp(*past, STILL if move is None else move, grid[i])
                )
        jumped = [] if self.apart is None else self.apart.jumped(new, last, grids)
        for k in jumped:
            new[k] = last[k]
        changed = [] if self.strays is None else self.strays.clean(new, last, grids)
        for k in sorted(set(changed) | set(jumped)):
            g, i = objects[k]
            chosen[id(g)] = chosen[id(g)].clone()
            chosen[id(g)][i] = torch.from_numpy(new[k]).to(chosen[id(g)])
        for k, (g, i) in enumerate(objects):
            if i == 0:
                g.shapes = []
            g.shapes.append((new[k], grids[k]))
        return chosen
