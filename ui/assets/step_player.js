// The diffusion step player: one stored run, stepped and played entirely in the browser.
// Data: figures.diffusion.step_player_data. A move (slider, arrow keys, a tap or drag on the curve, ▶ Play) draws
// three 28x28 canvases and moves one line: no server round trip, a few milliseconds.
const SVG = "http://www.w3.org/2000/svg";
const FRAME_MS = 100; // ▶ Play: one frame every 100 ms
const CURVE_PX = 230;
const PAD = { left: 50, right: 16, top: 12, bottom: 50 }; // room for "100%", the t labels and the axis title
const DASHES = { solid: "", dash: "10 6", dot: "2 6" };

function make(tag, attrs = {}, parent = null) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

function decode(base64) {
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// Round tick values for the span [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, about `count` of them.
function ticks(lo, hi, count) {
  const span = hi - lo || 1;
  const power = 10 ** Math.floor(Math.log10(span / count));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => span / s <= count) || span;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 1000) / 1000);
  return out;
}

function build(parent) {
  const player = make("div", { class: "player" }, parent);
  make("p", { class: "title" }, player);
  const panels = make("div", { class: "panels" }, player);
  for (let p = 0; p < 3; p += 1) {
    const cell = make("figure", {}, panels);
    make("figcaption", {}, cell);
    make("canvas", { role: "img" }, cell);
  }
  const controls = make("div", { class: "controls" }, player);
  make("button", { type: "button", class: "play", text: "▶ Play" }, controls);
  make("input", { type: "range", min: "1", step: "1", "aria-label": "Step" }, controls);
  make("p", { class: "headline" }, player);
  make("svg:svg", { class: "curve", role: "img", height: String(CURVE_PX) }, player);
  make("ul", { class: "legend" }, player);

  const state = { data: null, pixels: null, k: 0, timer: null };
  player.state = state;
  const range = player.querySelector("input");
  range.addEventListener("input", () => {
    stop(player);
    show(player, Number(range.value) - 1);
  });
  player.querySelector(".play").addEventListener("click", () => (state.timer ? stop(player) : play(player)));
  const curve = player.querySelector(".curve");
  const seek = (event) => {
    const box = curve.getBoundingClientRect();
    stop(player);
    show(player, nearestStep(player, event.clientX - box.left, box.width));
  };
  curve.addEventListener("pointerdown", (event) => {
    curve.setPointerCapture(event.pointerId);
    seek(event);
  });
  curve.addEventListener("pointermove", (event) => {
    if (curve.hasPointerCapture(event.pointerId)) seek(event);
  });
  new ResizeObserver(() => drawCurve(player)).observe(player);
  return player;
}

function load(player, data) {
  const state = player.state;
  stop(player);
  state.data = data;
  state.pixels = decode(data.pixels);
  const [h, w] = data.size;
  player.dataset.run = data.run;
  player.querySelectorAll("figure").forEach((cell, p) => {
    cell.querySelector("figcaption").textContent = data.panels[p];
    const canvas = cell.querySelector("canvas");
    canvas.width = w;
    canvas.height = h;
  });
  const range = player.querySelector("input");
  range.max = String(data.steps);
  const headline = player.querySelector(".headline");
  headline.replaceChildren();
  data.headline.forEach((line, i) => {
    if (i) make("br", {}, headline);
    headline.appendChild(document.createTextNode(line));
  });
  player.querySelector(".curve").setAttribute("aria-label", data.headline.join(" "));
  const legend = player.querySelector(".legend");
  legend.replaceChildren();
  for (const c of data.curves) {
    const item = make("li", {}, legend);
    const swatch = make("svg:svg", { width: "34", height: "12", "aria-hidden": "true" }, item);
    make("svg:line", { x1: "1", y1: "6", x2: "33", y2: "6", stroke: c.colour, "stroke-width": "4", "stroke-dasharray": DASHES[c.dash] }, swatch);
    item.appendChild(document.createTextNode(c.name));
  }
  state.k = data.start;
  drawCurve(player);
  show(player, data.start);
}

function xScale(data, width) {
  const tMax = Math.max(...data.t);
  const tMin = Math.min(...data.t);
  const plot = Math.max(width - PAD.left - PAD.right, 10);
  const x = (t) => PAD.left + ((tMax - t) / (tMax - tMin || 1)) * plot; // high t (pure static) on the left
  return { x, tMin, tMax };
}

function nearestStep(player, px, width) {
  const data = player.state.data;
  const { x } = xScale(data, width);
  let best = 0;
  data.t.forEach((t, i) => {
    if (Math.abs(x(t) - px) < Math.abs(x(data.t[best]) - px)) best = i;
  });
  return best;
}

function drawCurve(player) {
  const data = player.state.data;
  const svg = player.querySelector(".curve");
  if (!data) return;
  const width = svg.getBoundingClientRect().width || player.clientWidth;
  if (!width) return;
  svg.setAttribute("viewBox", `0 0 ${width} ${CURVE_PX}`);
  svg.replaceChildren();
  const { x, tMin, tMax } = xScale(data, width);
  const bottom = CURVE_PX - PAD.bottom;
  const y = (share) => bottom - share * (bottom - PAD.top);
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    make("svg:line", { x1: PAD.left, x2: width - PAD.right, y1: y(share), y2: y(share), class: "grid" }, svg);
    make("svg:text", { x: PAD.left - 8, y: y(share) + 4, "text-anchor": "end", class: "tick", text: `${share * 100}%` }, svg);
  }
  const count = Math.max(2, Math.floor((width - PAD.left - PAD.right) / 70));
  for (const t of ticks(tMin, tMax, count)) {
    make("svg:text", { x: x(t), y: bottom + 20, "text-anchor": "middle", class: "tick", text: String(t) }, svg);
  }
  make("svg:text", { x: PAD.left + (width - PAD.left - PAD.right) / 2, y: CURVE_PX - 8, "text-anchor": "middle", class: "axis-title", text: data.x_title }, svg);
  for (const c of data.curves) {
    const points = c.y.map((share, i) => `${x(data.t[i]).toFixed(1)},${y(share).toFixed(1)}`).join(" ");
    make("svg:polyline", { points, fill: "none", stroke: c.colour, "stroke-width": "4", "stroke-dasharray": DASHES[c.dash], "stroke-linejoin": "round" }, svg);
  }
  make("svg:line", { class: "marker", y1: PAD.top - 4, y2: bottom, stroke: data.marker, "stroke-width": "3" }, svg);
  moveMarker(player);
}

function moveMarker(player) {
  const { data, k } = player.state;
  const svg = player.querySelector(".curve");
  const marker = svg.querySelector(".marker");
  if (!marker) return;
  const px = xScale(data, Number(svg.viewBox.baseVal.width) || svg.clientWidth).x(data.t[k]);
  marker.setAttribute("x1", px);
  marker.setAttribute("x2", px);
}

function show(player, k) {
  const state = player.state;
  const data = state.data;
  state.k = Math.min(Math.max(k, 0), data.steps - 1);
  const [h, w] = data.size;
  const n = h * w;
  const label = `Step ${state.k + 1} of ${data.steps} (t = ${data.t[state.k]})`;
  player.querySelectorAll("canvas").forEach((canvas, p) => {
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(w, h);
    const offset = (state.k * 3 + p) * n;
    for (let i = 0; i < n; i += 1) {
      const grey = state.pixels[offset + i];
      image.data[4 * i] = grey;
      image.data[4 * i + 1] = grey;
      image.data[4 * i + 2] = grey;
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    canvas.setAttribute("aria-label", `${data.panels[p]}, ${label}`);
  });
  player.querySelector(".title").textContent = label;
  const range = player.querySelector("input");
  range.value = String(state.k + 1);
  range.setAttribute("aria-valuetext", label);
  moveMarker(player);
  player.dataset.step = String(state.k + 1);
}

function play(player) {
  const state = player.state;
  if (state.k >= state.data.steps - 1) show(player, 0);
  player.querySelector(".play").textContent = "⏸ Pause";
  state.timer = setInterval(() => {
    show(player, state.k + state.data.play_stride);
    if (state.k >= state.data.steps - 1) stop(player);
  }, FRAME_MS);
}

function stop(player) {
  const state = player.state;
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
  player.querySelector(".play").textContent = "▶ Play";
}

export default function ({ parentElement, data }) {
  const player = parentElement.querySelector(".player") || build(parentElement);
  const large = Boolean(data.large); // presenter mode: text for a projector
  const resized = player.classList.contains("large") !== large;
  player.classList.toggle("large", large);
  if (player.dataset.run !== data.run) load(player, data); // same run on a page rerun: keep the reader's step
  else if (resized) drawCurve(player);
}
