// Draw a digit: the browser side of helpers.widgets.draw.DrawDigit (an anywidget ES module).
// Ink is drawn here at once; the strokes go to the kernel, which sends back the network's
// 28 x 28 input, hidden activations and probabilities, drawn as a picture and bars (every bar
// labelled; the network's answer in red). The buttons are reachable by Tab: "Test digit" loads a
// digit without drawing, and shortcuts of the notebook do not fire while focus is in the widget.

function bars(el, values, { labels, highlight, max, what }) {
  el.replaceChildren();
  const top = max ?? Math.max(1e-9, ...values);
  el.setAttribute("role", "img");
  el.setAttribute(
    "aria-label",
    values.length ? `${what}: ` + values.map((v, i) => `${labels ? labels[i] : i} ${v.toFixed(2)}`).join(", ") : `${what}: none`,
  );
  values.forEach((v, i) => {
    const col = document.createElement("div");
    col.className = "nn-bar" + (i === highlight ? " nn-bar-answer" : "");
    col.title = `${labels ? labels[i] : i}: ${v.toFixed(3)}`;
    const fill = document.createElement("div");
    fill.className = "nn-bar-fill";
    fill.style.height = `${Math.max(0, Math.min(1, v / top)) * 100}%`;
    const label = document.createElement("span");
    label.textContent = labels ? labels[i] : String(i);
    label.setAttribute("aria-hidden", "true");
    col.append(fill, label);
    el.append(col);
  });
}

function paintGrid(ctx, pixels, size, invert) {
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (invert ? 1 - pixels[i] : pixels[i]));
    img.data.set([v, v, v, 255], 4 * i);
  }
  const tmp = document.createElement("canvas");
  tmp.width = tmp.height = 28;
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, size, size);
}

function render({ model, el }) {
  const size = model.get("size");
  el.classList.add("nn-draw");
  el.dataset.lmSuppressShortcuts = "true"; // Enter and Space press the buttons, not notebook shortcuts
  el.innerHTML = `
    <div class="nn-col">
      <canvas class="nn-pad" width="${size}" height="${size}" role="img"
        aria-label="drawing pad: draw a digit with the mouse or a finger, or press Test digit"></canvas>
      <div class="nn-buttons">
        <button type="button" class="nn-clear">Clear</button>
        <button type="button" class="nn-load">Test digit</button>
      </div>
    </div>
    <div class="nn-col">
      <div class="nn-caption">network input, 28 x 28</div>
      <canvas class="nn-input" width="112" height="112" role="img" aria-label="the network's 28 x 28 input"></canvas>
      <div class="nn-message" aria-live="polite"></div>
    </div>
    <div class="nn-col nn-wide">
      <div class="nn-caption">hidden activations A1</div>
      <div class="nn-bars nn-hidden"></div>
      <div class="nn-caption">probabilities A2 (the answer in red): <b class="nn-prediction" aria-live="polite"></b></div>
      <div class="nn-bars nn-probs"></div>
    </div>`;
  const pad = el.querySelector(".nn-pad");
  const ctx = pad.getContext("2d");
  const input = el.querySelector(".nn-input").getContext("2d");
  let strokes = model.get("strokes").map((s) => s.slice());
  let drawing = false;
  let timer = null;

  function repaint() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    const background = model.get("background");
    if (background.length === 784 && strokes.length === 0) paintGrid(ctx, background, size, true);
    ctx.strokeStyle = ctx.fillStyle = "#000";
    ctx.lineWidth = model.get("pen");
    ctx.lineCap = ctx.lineJoin = "round";
    for (const s of strokes) {
      ctx.beginPath();
      s.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      if (s.length === 1) ctx.lineTo(s[0][0] + 0.01, s[0][1]);
      ctx.stroke();
    }
  }
  function showResult() {
    const grid = model.get("grid");
    input.fillStyle = "#000";
    input.fillRect(0, 0, 112, 112);
    if (grid.length === 784) paintGrid(input, grid, 112, false);
    const probs = model.get("probs");
    const best = model.get("prediction");
    bars(el.querySelector(".nn-hidden"), model.get("hidden"), { what: "hidden activations" });
    bars(el.querySelector(".nn-probs"), probs, { highlight: best, max: 1, what: "probabilities" });
    el.querySelector(".nn-prediction").textContent =
      best >= 0 ? `${best} (p = ${probs[best].toFixed(2)})` : "nothing drawn";
    el.dataset.prediction = String(best); // read by the browser tests
    el.dataset.probs = JSON.stringify(probs);
    el.querySelector(".nn-message").textContent = model.get("message");
  }
  function sync() {
    clearTimeout(timer);
    timer = null;
    model.set("strokes", strokes.map((s) => s.slice()));
    model.save_changes();
  }
  function point(event) {
    const r = pad.getBoundingClientRect();
    return [((event.clientX - r.left) * size) / r.width, ((event.clientY - r.top) * size) / r.height];
  }
  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawing = true;
    strokes.push([point(event)]);
    repaint();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    strokes[strokes.length - 1].push(point(event));
    repaint();
    if (timer === null) timer = setTimeout(sync, 50); // live, at most 20 updates a second
  });
  for (const type of ["pointerup", "pointercancel"]) {
    pad.addEventListener(type, () => {
      if (!drawing) return;
      drawing = false;
      sync();
    });
  }
  pad.style.touchAction = "none"; // a finger draws instead of scrolling the page
  el.querySelector(".nn-clear").addEventListener("click", () => {
    strokes = [];
    model.set("strokes", []);
    model.set("background", []);
    model.save_changes();
    repaint();
  });
  el.querySelector(".nn-load").addEventListener("click", () => {
    model.set("load_request", model.get("load_request") + 1);
    model.save_changes();
  });
  model.on("change:strokes", () => {
    if (!drawing) strokes = model.get("strokes").map((s) => s.slice());
    repaint();
  });
  model.on("change:background", repaint);
  for (const name of ["grid", "hidden", "probs", "prediction", "message"]) model.on(`change:${name}`, showResult);
  repaint();
  showResult();
}

export default { render };
