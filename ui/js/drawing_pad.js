// A drawing pad of square cells: tap or click a square to switch its ink, drag to draw a stroke (a stroke that
// starts on ink erases), or use the arrow keys and Space. The page hears about it once per stroke, not per square.
//
// data: {cells: [rows * cols numbers in 0..1], rows, cols, label}. State sent back: "cells", the same list.
const INK = [17, 20, 24];
const LINE = "#9AA3AD";
const FOCUS = "#D55E00";

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let canvas = parentElement.querySelector("canvas");
  if (!canvas) {
    canvas = document.createElement("canvas");
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "img");
    parentElement.appendChild(canvas);
    canvas.pad = { cells: [], received: "", focus: null, down: false };
    listen(canvas, setStateValue);
    new ResizeObserver(() => draw(canvas)).observe(canvas);
  }
  const pad = canvas.pad;
  pad.rows = data.rows;
  pad.cols = data.cols;
  pad.send = setStateValue;
  canvas.setAttribute("aria-label", data.label);
  const received = JSON.stringify(data.cells);
  if (received !== pad.received) {
    // The page's drawing changed (a new stroke arrived, or it was cleared): start from it.
    pad.received = received;
    pad.cells = data.cells.slice();
  }
  draw(canvas);
}

function cellAt(canvas, event) {
  const box = canvas.getBoundingClientRect();
  const { rows, cols } = canvas.pad;
  const c = Math.floor(((event.clientX - box.left) / box.width) * cols);
  const r = Math.floor(((event.clientY - box.top) / box.height) * rows);
  return r >= 0 && r < rows && c >= 0 && c < cols ? r * cols + c : null;
}

function listen(canvas, setStateValue) {
  const pad = canvas.pad;
  const paint = (index) => {
    if (index !== null && pad.cells[index] !== pad.ink) {
      pad.cells[index] = pad.ink;
      pad.changed = true;
      draw(canvas);
    }
  };
  const send = () => pad.send("cells", pad.cells.slice());
  canvas.addEventListener("pointerdown", (event) => {
    const index = cellAt(canvas, event);
    if (index === null) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    pad.down = true;
    pad.changed = false;
    pad.ink = pad.cells[index] > 0.5 ? 0 : 1;
    pad.last = [event.clientX, event.clientY];
    paint(index);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!pad.down) return;
    // Every square the pointer passed over, not only those where a move event happened to land.
    const [x0, y0] = pad.last;
    const box = canvas.getBoundingClientRect();
    const stepPx = Math.max(1, box.width / pad.cols / 4);
    const n = Math.ceil(Math.hypot(event.clientX - x0, event.clientY - y0) / stepPx);
    for (let i = 1; i <= n; i++) {
      const at = { clientX: x0 + ((event.clientX - x0) * i) / n, clientY: y0 + ((event.clientY - y0) * i) / n };
      paint(cellAt(canvas, at));
    }
    pad.last = [event.clientX, event.clientY];
  });
  const end = () => {
    if (!pad.down) return;
    pad.down = false;
    if (pad.changed) send();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const [r, c] = pad.focus || [0, 0];
    if (moves[event.key]) {
      const [dr, dc] = moves[event.key];
      pad.focus = [Math.min(pad.rows - 1, Math.max(0, r + dr)), Math.min(pad.cols - 1, Math.max(0, c + dc))];
    } else if (event.key === " " || event.key === "Enter") {
      pad.focus = [r, c];
      const index = r * pad.cols + c;
      pad.cells[index] = pad.cells[index] > 0.5 ? 0 : 1;
      send();
    } else {
      return;
    }
    event.preventDefault();
    draw(canvas);
  });
  canvas.addEventListener("focus", () => { pad.focus = pad.focus || [0, 0]; draw(canvas); });
  canvas.addEventListener("blur", () => draw(canvas));
}

function draw(canvas) {
  const pad = canvas.pad;
  const ratio = window.devicePixelRatio || 1;
  const side = Math.round(canvas.clientWidth * ratio);
  if (side < 2) return;
  if (canvas.width !== side) {
    canvas.width = side;
    canvas.height = side;
  }
  const ctx = canvas.getContext("2d");
  const cw = side / pad.cols;
  const ch = side / pad.rows;
  ctx.fillStyle = "#FFFFFF";
  ctx.fillRect(0, 0, side, side);
  pad.cells.forEach((ink, index) => {
    if (ink <= 0) return;
    const r = Math.floor(index / pad.cols);
    const c = index % pad.cols;
    ctx.fillStyle = `rgba(${INK.join(",")},${Math.min(1, ink)})`;
    ctx.fillRect(c * cw, r * ch, cw, ch);
  });
  ctx.strokeStyle = LINE;
  ctx.lineWidth = Math.max(1, ratio);
  for (let i = 0; i <= pad.cols; i++) {
    ctx.beginPath(); ctx.moveTo(Math.round(i * cw), 0); ctx.lineTo(Math.round(i * cw), side); ctx.stroke();
  }
  for (let i = 0; i <= pad.rows; i++) {
    ctx.beginPath(); ctx.moveTo(0, Math.round(i * ch)); ctx.lineTo(side, Math.round(i * ch)); ctx.stroke();
  }
  if (pad.focus && canvas.getRootNode().activeElement === canvas) {
    const [r, c] = pad.focus;
    ctx.strokeStyle = FOCUS;
    ctx.lineWidth = 4 * ratio;
    ctx.strokeRect(c * cw + 2 * ratio, r * ch + 2 * ratio, cw - 4 * ratio, ch - 4 * ratio);
  }
}
