// Explore the mistakes: the browser side of helpers.widgets.mistakes.MistakeExplorer.
// A 10 x 10 confusion matrix; clicking a cell asks the kernel for its digits, drawn below
// with their ten probabilities each.

function digitCanvas(pixels) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  canvas.style.width = canvas.style.height = "56px";
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  pixels.forEach((v, i) => img.data.set([v, v, v, 255], 4 * i));
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function probBars(probs, highlight) {
  const box = document.createElement("div");
  box.className = "nn-bars";
  probs.forEach((p, d) => {
    const col = document.createElement("div");
    col.className = "nn-bar" + (d === highlight ? " nn-bar-top" : "");
    col.title = `${d}: ${p.toFixed(3)}`;
    const fill = document.createElement("div");
    fill.className = "nn-bar-fill";
    fill.style.height = `${p * 100}%`;
    col.append(fill);
    box.append(col);
  });
  return box;
}

function render({ model, el }) {
  el.classList.add("nn-mistakes");
  el.innerHTML = `
    <div class="nn-col">
      <div class="nn-caption nn-title"></div>
      <table class="nn-matrix"></table>
      <div class="nn-caption">rows: true digit, columns: prediction. Click a cell.</div>
    </div>
    <div class="nn-col">
      <div class="nn-caption nn-heading"></div>
      <div class="nn-gallery"></div>
    </div>`;
  const table = el.querySelector(".nn-matrix");

  function drawMatrix() {
    const cm = model.get("matrix");
    const [st, sp] = model.get("selected");
    table.replaceChildren();
    const head = table.insertRow();
    head.append(document.createElement("th"));
    for (let k = 0; k < 10; k++) {
      const th = document.createElement("th");
      th.textContent = String(k);
      head.append(th);
    }
    cm.forEach((row, j) => {
      const tr = table.insertRow();
      const th = document.createElement("th");
      th.textContent = String(j);
      tr.append(th);
      const total = Math.max(1, row.reduce((a, b) => a + b, 0));
      row.forEach((v, k) => {
        const td = tr.insertCell();
        td.textContent = v ? String(v) : "";
        td.dataset.true = String(j);
        td.dataset.predicted = String(k);
        const share = v / total;
        td.style.background = j === k ? `rgba(30,107,52,${share})` : `rgba(192,57,43,${Math.min(1, 4 * share)})`;
        if (j === st && k === sp) td.classList.add("nn-selected");
        td.addEventListener("click", () => {
          model.set("selected", [j, k]);
          model.save_changes();
        });
      });
    });
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
      box.append(digitCanvas(item.pixels), probBars(item.probs, p), caption);
      gallery.append(box);
    }
  }
  model.on("change:matrix", drawMatrix);
  model.on("change:selected", drawMatrix);
  model.on("change:items", drawGallery);
  model.on("change:title", drawGallery);
  drawMatrix();
  drawGallery();
}

export default { render };
