"""Auto-crop: the sheet's corners found on photographed pages, nothing found where there is none."""

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.fixtures.make_fixtures import (
    BACKGROUNDS,
    BLUE,
    RED,
    background,
    synthetic_pages,
    upright_image,
)
from webapp.documents.crop import find_outline, warp


def worst_corner_error(found, truth) -> float:
    """Largest corner distance under the best rotation of the corner order."""
    found, truth = np.array(found), np.array(truth)
    return min(np.linalg.norm(np.roll(found, k, 0) - truth, axis=1).max() for k in range(4))


@pytest.fixture(scope="module")
def pages():
    """Ten synthetic page photos, every backdrop twice."""
    return list(synthetic_pages(10, seed=7))


def test_outline_is_found_within_3_percent_of_the_diagonal(pages):
    for image, truth in pages:
        found = find_outline(image)
        assert found is not None
        assert worst_corner_error(found, truth) <= 0.03 * np.hypot(*image.size)


def test_corners_come_clockwise_from_the_top_left(pages):
    image, truth = pages[0]
    found = np.array(find_outline(image))
    assert np.linalg.norm(found - np.array(truth), axis=1).max() <= 0.03 * np.hypot(*image.size)


def test_grey_images_work_too(pages):
    image, truth = pages[1]
    found = find_outline(image.convert("L"))
    assert worst_corner_error(found, truth) <= 0.03 * np.hypot(*image.size)


@pytest.mark.parametrize("kind", BACKGROUNDS)
def test_no_outline_on_an_empty_table(kind):
    pixels = background(np.random.default_rng(3), (1600, 1200), kind)
    assert find_outline(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))) is None


def test_no_outline_when_the_page_fills_the_frame():
    assert find_outline(Image.new("RGB", (1200, 1600), (245, 245, 240))) is None


def test_no_outline_for_a_small_card_in_a_big_frame():
    image = Image.new("RGB", (1600, 1200), (60, 50, 40))
    image.paste((250, 250, 250), (700, 500, 1000, 690))
    assert find_outline(image) is None


def test_warp_straightens_the_quad_into_the_original_sheet():
    sheet = np.asarray(upright_image((300, 200)))
    quad = np.array([[120, 90], [430, 60], [460, 300], [100, 280]], np.float32)
    source = np.array([[0, 0], [300, 0], [300, 200], [0, 200]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, quad)
    photo = cv2.warpPerspective(sheet, matrix, (600, 400), borderValue=(40, 40, 40))
    flat = warp(Image.fromarray(photo), [tuple(point) for point in quad])
    assert abs(flat.width / flat.height - 1.5) < 0.15
    pixels = np.asarray(flat.resize((300, 200)))
    assert np.abs(pixels[10:40, 10:40].mean(axis=(0, 1)) - RED).max() < 40
    assert np.abs(pixels[10:40, -40:-10].mean(axis=(0, 1)) - BLUE).max() < 40
