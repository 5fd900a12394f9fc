"""Objects that slide out of the frame are reported absent (issue 10: presence after exits).

An object leaving the frame shrinks against the border: its box touches that edge while its extent across it falls.
The model's crop at the border rarely comes back empty, so without a rule its last sliver stays, and the mask then
settles on whatever the crop holds next. ``Exits`` keeps, per object, the widest width and height its box had while
off the left/right and top/bottom edges; when the box touches an edge with its extent across that edge below
``share`` of that width (or height), the object has gone out through that edge and is reported absent. It comes back
when its box is at that edge again with at least ``BACK`` of its extent (it re-enters where it left). Objects still
wholly inside the frame are never judged, so a hidden object is not taken for a gone one. Measured in
docs/tracking.md ("Objects that leave through the border").
"""

from __future__ import annotations

import torch

# the trackers' default ``exits``: gone below this share of its extent, touching the edge across it
EXITS = 0.2
BACK = 0.5  # back in view at the edge it left by with this share of its extent
EDGE = 1.0  # px: a box side this close to the frame's border touches it
NOT_GONE = -1


def touching(boxes: torch.Tensor, hw: tuple[int, int], margin: float = EDGE) -> torch.Tensor:
    """[n, 4] bool: each xyxy box comes within ``margin`` px of (or crosses) the left, right, top and bottom edge of
    an ``hw`` frame."""
    h, w = hw
    x0, y0, x1, y1 = boxes.unbind(1)
    return torch.stack([x0 <= margin, x1 >= w - margin, y0 <= margin, y1 >= h - margin], 1)


class Exits:
    """``step(group, boxes, present, hw)`` -> which objects have gone out of the frame; the state (``extent``,
    ``gone``) lives in the group, so snapshots of a sweep keep it."""

    def __init__(self, share: float = EXITS) -> None:
        self.share = float(share)

    def step(
        self,
        group,
        boxes: torch.Tensor,
        present: torch.Tensor,
        hw: tuple[int, int],
        prompted: bool = False,
    ) -> torch.Tensor:
        """``boxes``: the objects' xyxy mask boxes [n, 4] in frame pixels this step, ``present`` [n] where they are
        reported (objects reported absent for another reason change nothing); returns gone [n] bool. On a
        ``prompted`` frame the user says where the objects are: none is gone."""
        n = len(boxes)
        if group.extent is None:
            group.extent = torch.zeros(n, 2)
        if group.gone is None or prompted:
            group.gone = torch.full((n,), NOT_GONE)
        # the group's tensors are replaced below, never changed in place (snapshots share them)
        extent, gone = group.extent.clone(), group.gone.clone()
        edges = touching(boxes.float().cpu(), hw)
        sizes = (boxes[:, 2:] - boxes[:, :2]).float().cpu()
        for i in torch.nonzero(present.cpu()).flatten().tolist():
            e = int(gone[i])
            if e != NOT_GONE and edges[i, e] and sizes[i, e // 2] >= BACK * extent[i, e // 2]:
                gone[i] = e = NOT_GONE
            if e != NOT_GONE:
                continue
            for e in range(4):
                if not prompted and edges[i, e] and sizes[i, e // 2] < self.share * extent[i, e // 2]:
                    gone[i] = e
            for axis in range(2):
                if not edges[i, 2 * axis : 2 * axis + 2].any():
                    extent[i, axis] = max(extent[i, axis], sizes[i, axis])
        group.extent, group.gone = extent, gone
        return gone != NOT_GONE
