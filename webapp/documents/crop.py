"""Auto-crop of a photographed page: find the sheet's four corners, then straighten it.

Detection runs on a copy at most 640 px across. Candidate outlines come from three views of the
frame — edges of the blurred grey image, a mask of bright unsaturated (paper-like) pixels, and a
locally thresholded brightness mask that survives shadows — and each is reduced to a convex
quadrilateral. The one whose four sides are best backed by edges in the image wins, its sides are
re-fitted to those edge pixels, and it is refused unless it looks like a sheet: at least 20 % of
the frame, convex, no side lying along the frame's edge, no corner sharper than 45° or blunter
than 135°.
"""

import cv2
import numpy as np
from PIL import Image

_DETECT_SIDE = 640
_MIN_AREA = 0.20
_MAX_AREA = 0.97
_MIN_ANGLE, _MAX_ANGLE = 45.0, 135.0
_BORDER = 0.01
# Share of each side that must lie on an image edge for the outline to count as a sheet.
_MIN_SUPPORT = 0.55


def _order(points: np.ndarray) -> np.ndarray:
    """Corners clockwise from the top-left one (as the eye sees the image: y down)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    points = points[np.argsort(angles)]
    start = int(np.argmin(points.sum(axis=1)))
    return np.roll(points, -start, axis=0)


def _quad_from(contour: np.ndarray) -> np.ndarray:
    """Four corners of a contour's convex hull, by polygon simplification or a fitted rectangle."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for share in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, share * perimeter, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
        if len(approx) < 4:
            break
    return cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)


def _along_border(quad: np.ndarray, size: tuple[int, int]) -> bool:
    """Whether a side runs along the frame's edge: the sheet is cut off, or it is no sheet."""
    margin = _BORDER * max(size)
    near = [
        quad[:, 0] < margin,
        quad[:, 1] < margin,
        quad[:, 0] > size[0] - margin,
        quad[:, 1] > size[1] - margin,
    ]
    return any((edge & np.roll(edge, -1)).any() for edge in near)


def _plausible(quad: np.ndarray, size: tuple[int, int]) -> bool:
    """Big enough, clear of the frame's edges, convex, no corner too sharp or too blunt."""
    frame_area = float(size[0] * size[1])
    if not _MIN_AREA * frame_area <= cv2.contourArea(quad) <= _MAX_AREA * frame_area:
        return False
    if _along_border(quad, size):
        return False
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return False
    for i in range(4):
        a, b = quad[i - 1] - quad[i], quad[(i + 1) % 4] - quad[i]
        cosine = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9)
        if not _MIN_ANGLE <= np.degrees(np.arccos(np.clip(cosine, -1, 1))) <= _MAX_ANGLE:
            return False
    return True


def _support(quad: np.ndarray, edges: np.ndarray) -> float:
    """The weakest side's share of sample points that fall on an edge pixel."""
    height, width = edges.shape
    shares = []
    for i in range(4):
        start, end = quad[i], quad[(i + 1) % 4]
        steps = np.linspace(0.05, 0.95, 48)[:, None]
        points = np.rint(start + (end - start) * steps).astype(int)
        xs = np.clip(points[:, 0], 0, width - 1)
        ys = np.clip(points[:, 1], 0, height - 1)
        shares.append(float(np.count_nonzero(edges[ys, xs])) / len(steps))
    return min(shares)


def _refined(quad: np.ndarray, edge_points: np.ndarray) -> np.ndarray:
    """Corners re-computed from lines fitted to the edge pixels lying along each side."""
    lines = []
    for i in range(4):
        start, end = quad[i], quad[(i + 1) % 4]
        direction = (end - start) / (np.linalg.norm(end - start) + 1e-9)
        normal = np.array([-direction[1], direction[0]])
        relative = edge_points - start
        along = relative @ direction / (np.linalg.norm(end - start) + 1e-9)
        near = (np.abs(relative @ normal) < 3) & (along > 0.1) & (along < 0.9)
        if np.count_nonzero(near) < 20:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(edge_points[near], cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    corners = []
    for i in range(4):
        (p, r), (q, s) = lines[i - 1], lines[i]
        denominator = r[0] * s[1] - r[1] * s[0]
        if abs(denominator) < 1e-6:
            return quad
        t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / denominator
        corners.append(p + t * r)
    refined = np.array(corners, dtype=np.float32)
    return refined if np.abs(refined - quad).max() < 8 else quad


def _candidates(rgb: np.ndarray, grey: np.ndarray) -> list[np.ndarray]:
    """Binary maps in which the sheet may stand out as one region or one closed outline."""
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    median = float(np.median(blurred))
    kernel = np.ones((3, 3), np.uint8)
    maps = [
        cv2.dilate(cv2.Canny(blurred, 0.33 * median, 0.66 * median), kernel),
        cv2.dilate(cv2.Canny(cv2.GaussianBlur(grey, (9, 9), 0), 30, 90), kernel),
    ]
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    paper = cv2.subtract(hsv[..., 2], hsv[..., 1])
    paper = cv2.GaussianBlur(paper, (7, 7), 0)
    _, mask = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    maps.append(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8)))
    block = (max(grey.shape) // 4) | 1
    local = cv2.adaptiveThreshold(
        cv2.GaussianBlur(paper, (9, 9), 0),
        255,
        cv2.ADAPTIVE_THRESH_MEAN_C,
        cv2.THRESH_BINARY,
        block,
        -8,
    )
    maps.append(cv2.morphologyEx(local, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8)))
    return maps


def find_outline(image: Image.Image) -> list[tuple[float, float]] | None:
    """The sheet's corners (tl, tr, br, bl) in the image's pixels, or None when unconvincing."""
    scale = min(1.0, _DETECT_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    rgb = np.asarray(small if small.mode == "RGB" else small.convert("RGB"))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    frame_area = float(size[0] * size[1])
    edges = cv2.dilate(
        cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 20, 60), np.ones((3, 3), np.uint8)
    )
    best, best_score = None, _MIN_SUPPORT
    for binary in _candidates(rgb, grey):
        contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            if cv2.contourArea(cv2.convexHull(contour)) < _MIN_AREA * frame_area:
                continue
            quad = _order(_quad_from(contour))
            if not _plausible(quad, size):
                continue
            # Area breaks near-ties in favour of the sheet over the block of text printed on it.
            score = _support(quad, edges) + 0.1 * cv2.contourArea(quad) / frame_area
            if score > best_score:
                best, best_score = quad, score
    if best is None:
        return None
    edge_points = np.argwhere(edges > 0)[:, ::-1].astype(np.float32)
    best = _refined(best, edge_points)
    return [(float(x) / scale, float(y) / scale) for x, y in best]


def warp(image: Image.Image, quad: list[tuple[float, float]]) -> Image.Image:
    """The quadrilateral (tl, tr, br, bl) straightened into a rectangle of its own proportions."""
    corners = np.array(quad, dtype=np.float32)
    tl, tr, br, bl = corners
    width = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    right, bottom = width - 1, height - 1
    target = np.array([[0, 0], [right, 0], [right, bottom], [0, bottom]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    pixels = np.asarray(image.convert("RGB") if image.mode not in ("RGB", "L") else image)
    flat = cv2.warpPerspective(pixels, matrix, (width, height), flags=cv2.INTER_CUBIC)
    return Image.fromarray(flat)
