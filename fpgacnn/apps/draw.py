"""Drawing results onto frames (OpenCV, ``[io]`` extra; imported when called)."""

from __future__ import annotations

import numpy as np

from fpgacnn.spec.errors import UsageError
from fpgacnn.spec.frames import CropRule
from fpgacnn.sw.pipeline import Result


def annotate(frame: np.ndarray, result: Result, *, crop: CropRule | None = None,
             truth: str | None = None) -> np.ndarray:
    """A BGR copy of ``frame`` with the edge map in green, the classifier's box and label.

    ``crop`` draws the region the classifier saw; ``truth`` adds the expected label.
    """
    import cv2

    bgr = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame[:, :, :3].copy()
    out = (bgr.astype(np.uint16) * 3 // 5).astype(np.uint8)
    out[:, :, 1] = np.maximum(out[:, :, 1], result.edges)
    if crop is not None:
        y0, x0, rows, cols = crop.box(frame.shape[0], frame.shape[1])
        cv2.rectangle(out, (x0, y0), (x0 + cols - 1, y0 + rows - 1), (255, 160, 0), 2)
    if result.label_name is not None:
        text = f"label {result.label_name}"
        if truth is not None:
            text += f" (truth {truth})"
        scale = max(0.5, frame.shape[0] / 480)
        org = (10, int(32 * scale))
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2,
                    cv2.LINE_AA)
    return out


def contact_sheet(images: list[np.ndarray], *, columns: int = 4, width: int = 320
                  ) -> np.ndarray:
    """Tile BGR images (scaled to ``width``) into one BGR image, row by row."""
    import cv2

    if not images:
        raise UsageError("contact_sheet needs at least one image")
    thumbs = []
    for im in images:
        h = round(im.shape[0] * width / im.shape[1])
        thumbs.append(cv2.resize(im, (width, h), interpolation=cv2.INTER_AREA))
    h = max(t.shape[0] for t in thumbs)
    rows = -(-len(thumbs) // columns)
    sheet = np.zeros((rows * h, columns * width, 3), np.uint8)
    for i, t in enumerate(thumbs):
        r, c = divmod(i, columns)
        sheet[r * h: r * h + t.shape[0], c * width: (c + 1) * width] = t
    return sheet
