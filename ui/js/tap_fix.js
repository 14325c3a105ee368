// One tap acts on a Plotly chart (phones and tablets).
//
// Plotly picks the point a click selects from its last hover, and a finger gives no hover before it taps:
// the first tap on a chart selected nothing and every later tap selected the point tapped before it. Before
// Plotly sees a touch on a chart's plotting area, tell it where the finger is with the mouse move it waits for.
export default function () {
  if (window.__glassboxTapFix) return;
  window.__glassboxTapFix = true;
  document.addEventListener(
    "touchstart",
    (event) => {
      const touch = event.touches[0];
      const target = event.target;
      if (!touch || !target || !target.classList || !target.classList.contains("nsewdrag")) return;
      const move = { clientX: touch.clientX, clientY: touch.clientY, bubbles: true };
      target.dispatchEvent(new MouseEvent("mousemove", move));
    },
    { capture: true, passive: true },
  );
}
