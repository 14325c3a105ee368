"""Clipped and overlapping chart text, measured in a real browser. Any browser test can import this.

`text_problems(page)` looks at every drawn Plotly chart on the page and returns one plain sentence per problem:
- a title, axis title, annotation, legend entry, tick label or bar label that sticks out of the chart's box
  (Plotly does not wrap or shrink titles: on a phone a long title is simply cut off at the edge);
- a title, axis title, annotation, legend entry or control label (a Play button, a replay slider's step) that
  overlaps any other text of the same chart;
- a tick label that overlaps another tick label, or a bar/point label that overlaps another one ("<0.1%14%");
- a button (Play, Pause) drawn over a slider's track.

Boxes are the real drawn shapes: each text's own box (getBBox) carried through its full transform (getCTM),
so rotated tick labels are compared as the rotated rectangles they are, not as their much larger upright boxes.
"""

from __future__ import annotations

# Overlaps or overhangs smaller than this many pixels are font padding, not a visible problem.
TOLERANCE_PX = 1.5

_JS = r"""
(tolerance) => {
  const problems = [];
  const words = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const short = (s) => { s = words(s); return s.length > 60 ? s.slice(0, 57) + '...' : s; };

  // The four corners of the ink of a text, in its <svg>'s pixels (getCTM maps to the nearest viewport). A text's box
  // runs from the font's ascent to its descent, well above capitals and below most letters: trimmed by a quarter of
  // the font size at the top and a tenth at the bottom, two lines that merely share padding do not count.
  const corners = (el) => {
    let box;
    try { box = el.getBBox(); } catch (e) { return null; }
    if (!box || box.width < 0.5 || box.height < 0.5) return null;
    const m = el.getCTM();
    if (!m) return null;
    const size = parseFloat(getComputedStyle(el).fontSize) || 0;
    const top = box.y + 0.25 * size, bottom = Math.max(top + 1, box.y + box.height - 0.1 * size);
    return [[box.x, top], [box.x + box.width, top], [box.x + box.width, bottom], [box.x, bottom]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  const visible = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentNode) {
      const style = getComputedStyle(node);
      if (style.display === 'none' || style.visibility === 'hidden' || parseFloat(style.opacity) === 0) return false;
    }
    return true;
  };
  // How deep two convex polygons overlap (separating axis theorem): 0 when they are apart.
  const depth = (p, q) => {
    let best = Infinity;
    for (const poly of [p, q]) {
      for (let i = 0; i < poly.length; i++) {
        const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % poly.length];
        let nx = y1 - y2, ny = x2 - x1;
        const len = Math.hypot(nx, ny);
        if (len === 0) continue;
        nx /= len; ny /= len;
        const proj = (pts) => pts.map(([x, y]) => x * nx + y * ny);
        const a = proj(p), b = proj(q);
        const overlap = Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b));
        if (overlap <= 0) return 0;
        best = Math.min(best, overlap);
      }
    }
    return best;
  };

  const charts = Array.from(document.querySelectorAll('.js-plotly-plot'));
  charts.forEach((chart, index) => {
    const svg = chart.querySelector('svg.main-svg');
    if (!svg) return;
    const rect = svg.getBoundingClientRect();
    if (rect.width < 2 || rect.height < 2) return;  // not shown (a closed expander, a hidden preload chart)
    const W = rect.width, H = rect.height;
    const gtitle = chart.querySelector('.gtitle');
    const name = `chart ${index + 1}` + (gtitle && words(gtitle.textContent) ? ` ("${short(gtitle.textContent)}")` : '');

    const texts = [];
    const add = (el, kind, group) => {
      if (!visible(el)) return;
      const text = words(el.textContent);
      if (!text) return;
      const poly = corners(el);
      if (poly) texts.push({ kind, group, text, poly });
    };
    chart.querySelectorAll('text').forEach((el) => {
      const cls = el.getAttribute('class') || '';
      if (cls.split(' ').includes('gtitle')) add(el, 'title');
      else if (/(^|\s)[xy]\d*title(\s|$)/.test(cls) || el.closest('.cbtitle')) add(el, 'axis title');
      else if (cls.includes('annotation-text')) add(el, 'annotation');
      else if (cls.includes('legendtext')) add(el, 'legend entry');
      else if (el.parentNode && el.parentNode.matches && el.parentNode.matches('.xtick, .ytick')) {
        const owner = el.closest('.subplot, .colorbar');
        const axis = el.parentNode.classList.contains('xtick') ? 'x' : 'y';
        add(el, 'tick label', (owner ? owner.getAttribute('class') : '') + axis);
      }
      else if (cls.includes('bartext') || el.closest('.textpoint')) add(el, 'data label');
      else if (el.closest('.updatemenu-container, .slider-container')) add(el, 'control label');
    });

    for (const t of texts) {
      const xs = t.poly.map((c) => c[0]), ys = t.poly.map((c) => c[1]);
      const over = [
        ['left', -Math.min(...xs)], ['right', Math.max(...xs) - W], ['top', -Math.min(...ys)], ['bottom', Math.max(...ys) - H],
      ].filter(([, px]) => px > tolerance);
      for (const [side, px] of over) {
        problems.push(`${name}: ${t.kind} "${short(t.text)}" is cut off at the ${side} edge (${Math.round(px)} px outside)`);
      }
    }
    // A Play/Pause button drawn over a replay slider's track (seen on a phone: "⏸ Pause" covered its first steps).
    const screenBox = (el) => { const r = el.getBoundingClientRect(); return [[r.left, r.top], [r.right, r.top], [r.right, r.bottom], [r.left, r.bottom]]; };
    chart.querySelectorAll('.updatemenu-button').forEach((button) => {
      chart.querySelectorAll('.slider-rail-rect').forEach((rail) => {
        const d = depth(screenBox(button), screenBox(rail));
        if (d > tolerance) problems.push(`${name}: button "${short(button.textContent)}" covers a slider (${Math.round(d)} px)`);
      });
    });
    const labels = new Set(['title', 'axis title', 'annotation', 'legend entry', 'control label']);
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i], b = texts[j];
        const checked = labels.has(a.kind) || labels.has(b.kind)
          || (a.kind === 'tick label' && b.kind === 'tick label')
          || (a.kind === 'data label' && b.kind === 'data label');
        if (!checked) continue;
        const d = depth(a.poly, b.poly);
        if (d > tolerance) {
          problems.push(`${name}: ${a.kind} "${short(a.text)}" overlaps ${b.kind} "${short(b.text)}" (${Math.round(d)} px)`);
        }
      }
    }
  });
  return problems;
}
"""


def text_problems(page, tolerance: float = TOLERANCE_PX) -> list[str]:
    """Every clipped or overlapping text in the Plotly charts drawn on `page` (a Playwright page)."""
    return page.evaluate(_JS, tolerance)


_MARGINS_JS = r"""
() => Array.from(document.querySelectorAll('.js-plotly-plot'))
  .filter(gd => gd._fullLayout && gd.getBoundingClientRect().width > 2).map(gd => {
  const full = gd._fullLayout, set = full.margin, used = full._size;
  const title = ((full.title && full.title.text) || '').replace(/<br>/g, ' ').slice(0, 50);
  const grown = ['l', 'r', 't', 'b'].filter(k => used[k] - set[k] > 1).map(k => `${k} +${Math.round(used[k] - set[k])}`);
  return grown.length ? `"${title}": margins set too small, grown ${grown.join(', ')} px` : null;
}).filter(Boolean)
"""


def grown_margins(page) -> list[str]:
    """Every chart on `page` whose margins Plotly had to grow to fit its labels. Growing one means drawing the whole
    chart a second time, on every update (plotly.js Plots.doAutoMargin, with its 1 px tolerance); a figure that
    sets margins with room for its labels is drawn once (figures.style.text_px). Hidden charts (the landing page's
    chart-library preload) are never seen and are skipped."""
    return page.evaluate(_MARGINS_JS)


def open_every_expander(page) -> int:
    """Open every closed expander shown on the page, so the charts inside are drawn and checked too. Returns how
    many were opened. Expanders inside a closed popover are not shown: clicking one would wait out Playwright's
    whole timeout (30 s each, twice per page, which once made this test alone outlast CI)."""
    opened = 0
    for summary in page.locator('[data-testid="stExpander"] details:not([open]) > summary:visible').all():
        try:
            summary.click(timeout=5_000)
            opened += 1
        except Exception:  # noqa: BLE001 - an expander that vanished in a rerun is simply skipped
            continue
    return opened


MAX_EXPANDER_ROUNDS = 4  # an opened expander can hold more expanders, or rerun the page


def expand_everything(page) -> None:
    """Open every shown expander, round after round (what one opens may hold more), waiting for the app each time."""
    from tests.browser.conftest import wait_for_app

    for _ in range(MAX_EXPANDER_ROUNDS):
        if not open_every_expander(page):
            return
        wait_for_app(page)
