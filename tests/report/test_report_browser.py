"""The page in headless Chromium: a screenshot that is not blank, and no image that failed to load.

Needs the Debian package ``chromium`` (``apt-get install -y chromium``; CI installs it); the tests
skip, saying so, where it is absent.  Everything runs offline from ``file://`` URLs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sc_neurocore.report.render import write_report

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                "(Debian/Ubuntu: apt-get install -y chromium)")

#: Appended to a copy of the page: after the load event, count the <img> elements and those that did not decode.
IMG_CHECK = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length;
  document.body.setAttribute("data-imgcheck", imgs.length + ":" + bad);
});
</script>"""


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'chromium-profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def image_check(page: Path, tmp: Path, extra_html: str = "") -> tuple[int, int]:
    """``(images, images that failed to load)`` of ``page`` in Chromium, after its load event."""
    probe = tmp / "probe.html"
    probe.write_text(page.read_text().replace("</body>", extra_html + IMG_CHECK + "</body>"))
    res = _chromium(tmp, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    m = re.search(r'data-imgcheck="(\d+):(\d+)"', res.stdout)
    assert m, f"the check script did not run (rc {res.returncode}): {res.stderr[-2000:]}"
    return int(m.group(1)), int(m.group(2))


@pytest.fixture(scope="module")
def page(report_data, tmp_path_factory) -> Path:
    return write_report(report_data, tmp_path_factory.mktemp("page"), command="sc-neurocore report ...")


def test_every_image_loads(page, tmp_path):
    n, bad = image_check(page, tmp_path)
    assert n == 7 and bad == 0


def test_the_image_check_sees_a_broken_image(page, tmp_path):
    """The check above can fail: one undecodable image and one missing file are both counted."""
    n, bad = image_check(page, tmp_path, '<img src="data:image/png;base64,AAAA"><img src="missing.png">')
    assert n == 9 and bad == 2


def test_screenshot_is_not_blank(page, tmp_path):
    import matplotlib.image as mpimg

    shot = tmp_path / "shot.png"
    res = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars", page.as_uri())
    assert shot.exists(), res.stderr[-2000:]
    img = mpimg.imread(shot)[..., :3]
    assert img.shape[:2] == (2400, 1280)
    gray = img.mean(axis=2)
    assert gray.var() > 0.01  # a blank (one-colour) page has variance 0
    # text and figures all the way down: no band of 600 rows is one colour
    bands = [gray[i:i + 600].var() for i in range(0, 2400, 600)]
    assert min(bands) > 1e-3, bands
    # the figures are there: plenty of pixels in the models' colours (float blue, SC orange)
    blue = np.all(np.abs(img - np.array([0x1F, 0x77, 0xB4]) / 255) < 0.06, axis=2).sum()
    orange = np.all(np.abs(img - np.array([0xFF, 0x7F, 0x0E]) / 255) < 0.06, axis=2).sum()
    assert blue > 2000 and orange > 2000, (blue, orange)
