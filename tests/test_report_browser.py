"""The HTML report in a real browser: headless Chromium (Debian's package) opens it from a file:// URL, and
every image must decode and the console stay clean.

How: a copy of the report gets a small probe script (the report itself has none); on the page's load event it
records ``img.complete && img.naturalWidth > 0`` for every image, the page's errors (a failed image, a script
error, any console.error or console.warn) and writes them into the DOM, which ``--dump-dom`` prints.  Chromium's
own log of console messages (``--enable-logging=stderr``) is checked too.  Nothing is downloaded: the flags turn
off every background connection and the report fetches nothing.  Skips, saying why, when Chromium is absent
(``apt-get install -y chromium``; ``.ci/run`` tries it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import ROOT
from fr_eval.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ESSEX = ROOT / "datasets" / "published" / "essex-2019.yaml"
REVIEW = ROOT / "docs" / "examples" / "review-essex-2019.md"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom"]

PROBE = """<script id="fr-eval-probe-script">
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    var t = e.target;
    errors.push(t && t.tagName === 'IMG' ? 'image failed: ' + (t.alt || '').slice(0, 60) : String(e.message));
  }, true);
  ['error', 'warn'].forEach(function (level) {
    var orig = console[level];
    console[level] = function () { errors.push('console.' + level + ': ' + [].join.call(arguments, ' ')); };
  });
  window.addEventListener('load', function () {
    var imgs = [].slice.call(document.images);
    var out = {images: imgs.length, errors: errors,
               broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                           .map(function (i) { return (i.alt || '').slice(0, 60); }),
               without_alt: imgs.filter(function (i) { return !(i.alt || '').trim(); }).length};
    var pre = document.createElement('pre');
    pre.id = 'fr-eval-probe';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  });
})();
</script>"""


def load_in_chromium(html_path, tmp_path) -> tuple[dict, list[str]]:
    probed = tmp_path / ("probed-" + html_path.name)
    probed.write_text(html_path.read_text().replace("<head>", "<head>" + PROBE, 1))
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", probed.as_uri()], capture_output=True,
                          text=True, timeout=120)
    m = re.search(r'<pre id="fr-eval-probe">([^<]*)</pre>', done.stdout)
    assert m, f"the probe did not run (exit {done.returncode}): {done.stderr[-2000:]}"
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")), console


pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                                          "(apt-get install -y chromium)")


@pytest.mark.parametrize("review", [REVIEW, None])
def test_html_report_loads_cleanly_in_chromium(tmp_path, review):
    html = write_report(ESSEX, tmp_path / "essex.html", review=review)
    result, console = load_in_chromium(html, tmp_path)
    assert result["images"] >= 2                   # the waterfall and the base-rate figure
    assert result["broken"] == [], result
    assert result["errors"] == [], result
    assert result["without_alt"] == 0
    assert console == [], console


def test_the_probe_sees_a_broken_image_and_a_console_error(tmp_path):
    """The check can fail: a damaged image and a console error are both reported."""
    html = write_report(ESSEX, tmp_path / "bad.html")
    text = html.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1)
    html.write_text(text.replace("</body>", "<script>console.error('boom')</script></body>"))
    result, console = load_in_chromium(html, tmp_path)
    assert len(result["broken"]) == 1 and any("boom" in e for e in result["errors"])
