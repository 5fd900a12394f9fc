"""End to end in a real headless browser: Debian's chromium driven by Selenium through chromium-driver (nothing
downloads a browser). The app serves a generated clip; the test draws a box on frame 0 by clicking two corners on
the image, presses Track, then checks that the frame shown has the object's overlay (its pixels differ from the
raw frame inside the object's box) and that the masks JSON the page offers decodes to the clip's frame count.

Skips when chromium, chromedriver, selenium or gradio are missing (``make browser`` installs the browser; CI runs
it). ``AMODAL_APP_SCREENSHOT=docs/app.png`` saves a screenshot of the page after tracking (kept under 300 KB).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gradio", reason="the app needs gradio (pip install 'amodal-vos[app]')")
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install selenium)")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
    pytest.skip(
        "chromium and chromium-driver are not installed (run as root: make browser)", allow_module_level=True
    )

from PIL import Image  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from amodal_vos.io import rle  # noqa: E402

FRAMES, HEIGHT, WIDTH = 16, 240, 320
WAIT = 60  # seconds for any one step on a loaded machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, clip path, ground-truth boxes [T, 2, 4] x,y,w,h): the app with the shipped model, in a thread."""
    import torch

    from amodal_vos.app import launch
    from amodal_vos.io.shapes_video import write_shapes_video
    from amodal_vos.tracking.predictor import AmodalPredictor

    torch.set_num_threads(1)
    clip = tmp_path_factory.mktemp("app") / "shapes.mp4"
    boxes = write_shapes_video(clip, FRAMES, HEIGHT, WIDTH, 12)
    port = free_port()
    page = launch(AmodalPredictor.default(), clip, port=port, block=False)
    yield f"http://127.0.0.1:{port}", clip, boxes
    page.close()


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,1200")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def status(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "#status textarea").get_attribute("value") or ""


def wait_status(driver, text: str) -> str:
    WebDriverWait(driver, WAIT).until(lambda d: text in status(d), f"no message with {text!r}")
    return status(driver)


def click_frame(driver, x: float, y: float) -> None:
    """Click frame pixel (x, y) on the shown image, wherever and however large the page draws it."""
    loaded = "const i = document.querySelector('#frame img'); return !!i && i.complete && i.naturalWidth > 0;"
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(loaded), "the frame image did not load")
    img = driver.find_element(By.CSS_SELECTOR, "#frame img")
    rect = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [r.width, r.height, arguments[0].naturalWidth, arguments[0].naturalHeight];",
        img,
    )
    width, height, natural_w, natural_h = rect
    scale = min(width / natural_w, height / natural_h, 1)  # object-fit: scale-down, as Gradio's own mapping
    left, top = (width - natural_w * scale) / 2, (height - natural_h * scale) / 2
    dx, dy = left + (x + 0.5) * scale - width / 2, top + (y + 0.5) * scale - height / 2  # from the centre
    ActionChains(driver).move_to_element_with_offset(img, round(dx), round(dy)).click().perform()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=WAIT) as response:
        return response.read()


def shown_image(driver) -> np.ndarray:
    """The frame image the page shows, as served to it (RGB)."""
    src = driver.find_element(By.CSS_SELECTOR, "#frame img").get_attribute("src")
    return np.asarray(Image.open(io.BytesIO(fetch(src))).convert("RGB"))


def assert_overlay(image: np.ndarray, clip: Path, t: int, region: np.ndarray) -> None:
    """The page's image of frame t differs from the raw frame inside ``region`` (the object is drawn over)."""
    from amodal_vos.io.video import open_video

    raw = open_video(clip).frame(t)
    assert image.shape == raw.shape
    assert region.any(), f"the object has an empty mask on frame {t}"
    diff = np.abs(image.astype(int) - raw.astype(int))[region]
    assert diff.mean() > 10, f"no overlay on the object on frame {t} (mean difference {diff.mean():.1f})"


def save_screenshot(driver, path: Path) -> None:
    """The page as a PNG under 300 KB (palette-reduced when the full-colour one is larger)."""
    driver.set_window_size(1280, 1100)  # the whole page, plot included
    time.sleep(2)  # let the plot draw
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    if path.stat().st_size > 300_000:
        image.quantize(colors=128).save(path, optimize=True)


def test_box_track_overlay_and_download(served, browser):
    url, clip, boxes = served
    began = time.perf_counter()
    browser.get(url)
    wait_status(browser, "opened shapes.mp4")
    x, y, w, h = boxes[0, 0]  # the red disc on frame 0, its box a little enlarged
    click_frame(browser, max(x - 2, 0), max(y - 2, 0))
    wait_status(browser, "first corner")
    click_frame(browser, min(x + w + 2, WIDTH - 1), min(y + h + 2, HEIGHT - 1))
    assert "object 1: box on frame 0" in wait_status(browser, "box on frame 0")

    browser.find_element(By.CSS_SELECTOR, "#track").click()
    done = wait_status(browser, "tracked 1 object(s)")
    assert f"over {FRAMES} frames" in done

    links = browser.find_elements(By.CSS_SELECTOR, "#downloads a")
    hrefs = [a.get_attribute("href") for a in links if "masks.json" in (a.get_attribute("href") or "")]
    assert hrefs, f"no masks JSON among the downloads: {[a.get_attribute('href') for a in links]}"
    doc = json.loads(fetch(hrefs[0]))
    assert len(doc["frames"]) == FRAMES and doc["video"]["num_frames"] == FRAMES

    shown = int(
        float(browser.find_element(By.CSS_SELECTOR, "#slider input[type=number]").get_attribute("value"))
    )
    (entry,) = doc["frames"][shown]["objects"]
    assert_overlay(shown_image(browser), clip, shown, rle.decode(entry["amodal"]))

    # back to frame 0 with the slider's number box: the object is in its prompt box there
    before = browser.find_element(By.CSS_SELECTOR, "#frame img").get_attribute("src")
    number = browser.find_element(By.CSS_SELECTOR, "#slider input[type=number]")
    number.send_keys(Keys.CONTROL, "a")
    number.send_keys("0", Keys.ENTER)
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#frame img").get_attribute("src") != before,
        "frame 0 not shown",
    )
    inside = np.zeros((HEIGHT, WIDTH), bool)
    inside[int(y) : int(y + h), int(x) : int(x + w)] = True
    assert_overlay(shown_image(browser), clip, 0, inside)

    target = os.environ.get("AMODAL_APP_SCREENSHOT")
    if target:
        save_screenshot(browser, Path(target))
    assert time.perf_counter() - began < 120
