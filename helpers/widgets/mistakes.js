// Explore the mistakes: the browser side of helpers.widgets.mistakes.MistakeExplorer.
// A 10 x 10 confusion matrix; clicking a cell (or Enter / Space on the focused cell; the arrow
// keys move between cells) asks the kernel for its digits, drawn below with their ten
// probabilities each: the network's answer in red, the true digit in striped blue, every bar
// labelled with its digit.

const DIAGONAL = [31, 111, 181]; // right answers: blue
const OFF_DIAGONAL = [192, 57, 43]; // mistakes: red (blue and red stay apart for colour-blind readers)

function luminance([r, g, b]) {
  const lin = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

// Black or white, whichever contrasts more with the background: never below 4.5:1.
function textOn(rgb) {
  const l = luminance(rgb);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000" : "#fff";
}

// The page's own background (JupyterLab's light or dark theme), as [r, g, b].
function pageBackground(el) {
  const probe = document.createElement("div");
  probe.style.background = "var(--jp-layout-color0, #fff)";
  probe.style.display = "none";
  el.append(probe);
  const m = getComputedStyle(probe).backgroundColor.match(/\d+(\.\d+)?/g) || [255, 255, 255];
  probe.remove();
  return m.slice(0, 3).map(Number);
}

function digitCanvas(pixels, label) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  canvas.style.width = canvas.style.height = "56px";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  pixels.forEach((v, i) => img.data.set([v, v, v, 255], 4 * i));
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function probBars(probs, answer, truth) {
  const box = document.createElement("div");
  box.className = "nn-bars";
  box.setAttribute("role", "img");
  box.setAttribute(
    "aria-label",
    `probabilities: ${answer} (the answer) ${probs[answer].toFixed(2)}` +
      (truth === answer ? "" : `, ${truth} (the true digit) ${probs[truth].toFixed(2)}`),
  );
  probs.forEach((p, d) => {
    const col = document.createElement("div");
    col.className = "nn-bar" + (d === answer ? " nn-bar-answer" : d === truth ? " nn-bar-true" : "");
    col.title = `${d}: ${p.toFixed(3)}${d === answer ? " (answer)" : d === truth ? " (true digit)" : ""}`;
    const fill = document.createElement("div");
    fill.className = "nn-bar-fill";
    fill.style.height = `${p * 100}%`;
    const label = document.createElement("span");
    label.textContent = String(d);
    label.setAttribute("aria-hidden", "true");
    col.append(fill, label);
    box.append(col);
  });
  return box;
}

function render({ model, el }) {
  el.classList.add("nn-mistakes");
  el.dataset.lmSuppressShortcuts = "true"; // Enter, Space and arrows act here, not on the notebook
  el.innerHTML = `
    <div class="nn-col">
      <div class="nn-caption nn-title"></div>
      <table class="nn-matrix" role="grid">
        <caption class="nn-caption">Confusion matrix: rows are the true digit, columns the prediction.
          Click a cell, or Tab to the matrix, move with the arrow keys and press Enter.</caption>
      </table>
    </div>
    <div class="nn-col">
      <div class="nn-caption nn-heading" aria-live="polite"></div>
      <div class="nn-caption nn-key">Bars: the network's answer red, the true digit striped blue.</div>
      <div class="nn-gallery"></div>
    </div>`;
  const table = el.querySelector(".nn-matrix");
  let cells = []; // cells[j][k]
  let focus = model.get("selected");

  function select(j, k) {
    model.set("selected", [j, k]);
    model.save_changes();
  }
  function moveFocus(j, k) {
    focus = [Math.max(0, Math.min(9, j)), Math.max(0, Math.min(9, k))];
    markCells();
    cells[focus[0]][focus[1]].focus();
  }
  function drawMatrix() {
    const cm = model.get("matrix");
    const bg = pageBackground(el);
    table.querySelectorAll("tr").forEach((tr) => tr.remove());
    const head = table.insertRow();
    head.append(document.createElement("th"));
    for (let k = 0; k < 10; k++) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = String(k);
      head.append(th);
    }
    cells = cm.map((row, j) => {
      const tr = table.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = String(j);
      tr.append(th);
      const total = Math.max(1, row.reduce((a, b) => a + b, 0));
      return row.map((v, k) => {
        const td = tr.insertCell();
        td.textContent = v ? String(v) : "";
        td.dataset.true = String(j);
        td.dataset.predicted = String(k);
        td.setAttribute("role", "gridcell");
        td.setAttribute("aria-label", `true ${j}, predicted ${k}: ${v} digit${v === 1 ? "" : "s"}`);
        const share = j === k ? v / total : Math.min(1, (4 * v) / total);
        const base = j === k ? DIAGONAL : OFF_DIAGONAL;
        const rgb = base.map((c, i) => Math.round(share * c + (1 - share) * bg[i]));
        td.style.background = `rgb(${rgb.join(",")})`;
        td.style.color = textOn(rgb);
        if (j === k) td.classList.add("nn-diagonal");
        td.addEventListener("click", () => {
          focus = [j, k];
          select(j, k);
        });
        td.addEventListener("keydown", (event) => {
          const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            select(j, k);
          } else if (moves[event.key]) {
            event.preventDefault();
            moveFocus(j + moves[event.key][0], k + moves[event.key][1]);
          } else if (event.key === "Home" || event.key === "End") {
            event.preventDefault();
            moveFocus(j, event.key === "Home" ? 0 : 9);
          }
        });
        return td;
      });
    });
    markCells();
  }
  // One cell is in the Tab order (the focused one, first the selected one); the selected is framed.
  function markCells() {
    const [st, sp] = model.get("selected");
    cells.forEach((row, j) =>
      row.forEach((td, k) => {
        td.tabIndex = j === focus[0] && k === focus[1] ? 0 : -1;
        td.classList.toggle("nn-selected", j === st && k === sp);
        td.setAttribute("aria-selected", String(j === st && k === sp));
      }),
    );
  }
  function drawGallery() {
    const [t, p] = model.get("selected");
    const items = model.get("items");
    const count = model.get("count");
    el.querySelector(".nn-title").textContent = model.get("title");
    el.querySelector(".nn-heading").textContent =
      `true ${t} read as ${p}: ${count} digit${count === 1 ? "" : "s"}` +
      (count > items.length ? `, the ${items.length} most confident shown` : ", most confident first");
    const gallery = el.querySelector(".nn-gallery");
    gallery.replaceChildren();
    for (const item of items) {
      const box = document.createElement("div");
      box.className = "nn-item";
      const caption = document.createElement("span");
      caption.textContent = `#${item.index} p=${item.probs[p].toFixed(2)}`;
      const about = `digit #${item.index}, labelled ${item.label}, read as ${item.prediction}`;
      box.append(digitCanvas(item.pixels, about), probBars(item.probs, item.prediction, item.label), caption);
      gallery.append(box);
    }
  }
  model.on("change:matrix", drawMatrix);
  model.on("change:selected", markCells);
  model.on("change:items", drawGallery);
  model.on("change:title", drawGallery);
  drawMatrix();
  drawGallery();
  // The cells are blended with the page's background: redraw them when JupyterLab's theme changes.
  const theme = new MutationObserver(drawMatrix);
  theme.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  return () => theme.disconnect();
}

export default { render };
