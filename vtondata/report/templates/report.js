"use strict";
// The report's gallery: filters, sorting, search and the detail view, drawn from #report-data.
// Text from the inputs is only ever set as textContent, never parsed as markup.
(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const samples = data.samples;
  const PAGE_SIZE = 120;
  const thresholds = new Map(data.statistics.map((s) => [s.name, s.thresholds]));
  const numberFormat = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
  const grid = document.getElementById("grid");
  const more = document.getElementById("more");
  const dialog = document.getElementById("detail");
  const controls = {
    verdict: document.getElementById("verdict-filter"),
    reason: document.getElementById("reason-filter"),
    category: document.getElementById("category-filter"),
    sortBy: document.getElementById("sort-by"),
    order: document.getElementById("sort-order"),
    search: document.getElementById("search"),
    view: document.getElementById("view"),
  };
  let visible = [];
  let limit = PAGE_SIZE;
  let current = -1;

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function formatNumber(value) {
    return value === undefined || value === null ? "–" : numberFormat.format(value);
  }

  function addOptions(select, values) {
    for (const value of values) select.append(el("option", { value, text: value }));
  }

  // One view of a sample: the photo, alone or with the mask tinting or greying it.
  function view(sample, kind) {
    const box = el("div", { class: `view ${kind}` });
    const image = el("img", { alt: kind, src: sample.photo });
    box.append(image);
    if (kind !== "photo" && sample.mask) {
      const layer = el("div", { class: kind === "overlay" ? "tint" : "grey" });
      layer.style.webkitMaskImage = `url("${sample.mask}")`;
      layer.style.maskImage = `url("${sample.mask}")`;
      box.append(layer);
    }
    return box;
  }

  function verdictBadge(sample) {
    return sample.accepted
      ? el("span", { class: "badge ok", text: "accepted" })
      : el("span", { class: "badge bad", text: sample.reason_code });
  }

  function tile(sample, position) {
    const node = el("div", { class: sample.accepted ? "tile" : "tile rejected", tabindex: "0" });
    node.dataset.key = sample.key;
    const views = el("div", { class: "views" });
    if (!sample.photo) {
      views.append(el("div", { class: "placeholder", text: sample.accepted ? "no preview" : sample.reason_code }));
    } else if (sample.mask) {
      for (const kind of ["photo", "overlay", "agnostic"]) views.append(view(sample, kind));
    } else {
      views.append(view(sample, "photo"));
    }
    node.append(views);
    const caption = el("div", { class: "caption" });
    caption.append(el("div", { class: "name", text: sample.source_path }));
    caption.append(verdictBadge(sample));
    const sortBy = controls.sortBy.value;
    if (sortBy) caption.append(el("span", { class: "note", text: ` ${sortBy} ${formatNumber(sample.stats[sortBy])}` }));
    node.append(caption);
    node.addEventListener("click", () => openDetail(position));
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter") openDetail(position);
    });
    return node;
  }

  // Worst first: smallest margin to the thresholds first (most beyond a threshold, else nearest to one);
  // a statistic without a threshold sorts highest first. Unmeasured samples come last either way.
  function sortKey(name) {
    const limits = thresholds.get(name) || [];
    if (limits.length === 0) return (value) => -value;
    return (value) => Math.min(...limits.map((t) => (t.direction === "min" ? value - t.value : t.value - value)));
  }

  function comparator(name, order) {
    const key = sortKey(name);
    const sign = order === "best" ? -1 : 1;
    return (a, b) => {
      const x = a.stats[name];
      const y = b.stats[name];
      if (x === undefined) return y === undefined ? 0 : 1;
      if (y === undefined) return -1;
      return sign * (key(x) - key(y));
    };
  }

  function labelOrder() {
    const thresholded = (thresholds.get(controls.sortBy.value) || []).length > 0;
    const [worst, best] = controls.order.options;
    worst.textContent = thresholded || !controls.sortBy.value ? "worst first" : "highest first";
    best.textContent = thresholded || !controls.sortBy.value ? "best first" : "lowest first";
  }

  function apply() {
    const verdict = controls.verdict.value;
    const reason = controls.reason.value;
    const category = controls.category.value;
    const search = controls.search.value.trim().toLowerCase();
    visible = samples.filter(
      (s) =>
        (verdict === "all" || (verdict === "accepted") === s.accepted) &&
        (!reason || s.reason_code === reason) &&
        (!category || s.category === category) &&
        (!search || s.source_path.toLowerCase().includes(search)),
    );
    labelOrder();
    if (controls.sortBy.value) visible.sort(comparator(controls.sortBy.value, controls.order.value));
    limit = PAGE_SIZE;
    draw();
  }

  function draw() {
    grid.replaceChildren(...visible.slice(0, limit).map((sample, position) => tile(sample, position)));
    more.hidden = visible.length <= limit;
    document.getElementById("match-count").textContent =
      `${visible.length.toLocaleString("en-US")} of ${samples.length.toLocaleString("en-US")} shown samples match`;
  }

  function statisticsTable(sample) {
    const table = el("table", { class: "stats" });
    table.append(el("tr", {}, el("th", { text: "statistic" }), el("th", { text: "value" }), el("th", { text: "threshold" }), el("th", { text: "" })));
    const rows = data.statistics
      .filter((s) => s.name in sample.stats)
      .map((s) => {
        const value = sample.stats[s.name];
        const failed = s.thresholds.filter((t) => (t.direction === "min" ? value < t.value : value > t.value));
        return { s, value, failed };
      })
      .sort((a, b) => b.failed.length - a.failed.length);
    for (const { s, value, failed } of rows) {
      const limitsText = s.thresholds.map((t) => `${t.direction} ${formatNumber(t.value)}`).join(", ") || "–";
      const status = s.thresholds.length === 0 ? "" : failed.length ? "fails" : "passes";
      const row = el("tr", { class: failed.length ? "fail" : "" });
      row.append(el("td", {}, el("code", { text: s.name })));
      row.append(el("td", { class: "n", text: formatNumber(value) }));
      row.append(el("td", { text: limitsText }));
      row.append(el("td", { text: status }));
      table.append(row);
    }
    return table;
  }

  function skeleton(sample, width, height) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    for (const [a, b] of data.skeleton) {
      const p = sample.keypoints[a];
      const q = sample.keypoints[b];
      if (!(p[2] > 0 && q[2] > 0)) continue;
      const line = document.createElementNS(ns, "line");
      for (const [name, value] of [["x1", p[0]], ["y1", p[1]], ["x2", q[0]], ["y2", q[1]]]) line.setAttribute(name, value);
      line.setAttribute("stroke", "#00e5ff");
      line.setAttribute("stroke-width", Math.max(1, width / 90));
      line.setAttribute("stroke-linecap", "round");
      svg.append(line);
    }
    return svg;
  }

  function figure(content, caption) {
    return el("figure", {}, content, el("figcaption", { text: caption }));
  }

  async function loaded(source) {
    const image = new Image();
    image.src = source;
    await image.decode();
    return image;
  }

  // Every parse label as its own layer: the photo where the label is, dimmed elsewhere.
  async function parseLayers(sample, container) {
    const [width, height] = sample.size;
    const [photo, parse] = await Promise.all([loaded(sample.photo), loaded(sample.parse)]);
    const read = (image) => {
      const canvas = el("canvas", { width, height });
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0, width, height);
      return context.getImageData(0, 0, width, height).data;
    };
    const photoPixels = read(photo);
    const parsePixels = read(parse);
    const labelAt = new Uint8Array(width * height);
    for (let i = 0; i < labelAt.length; i += 1) {
      let best = 0;
      let bestDistance = Infinity;
      for (const label of data.labels) {
        const d =
          (parsePixels[4 * i] - label.rgb[0]) ** 2 +
          (parsePixels[4 * i + 1] - label.rgb[1]) ** 2 +
          (parsePixels[4 * i + 2] - label.rgb[2]) ** 2;
        if (d < bestDistance) {
          bestDistance = d;
          best = label.id;
        }
      }
      labelAt[i] = best;
    }
    for (const label of data.labels) {
      const canvas = el("canvas", { width, height, "data-label": label.name });
      const context = canvas.getContext("2d");
      const layer = context.createImageData(width, height);
      let count = 0;
      for (let i = 0; i < labelAt.length; i += 1) {
        const inside = labelAt[i] === label.id;
        count += inside ? 1 : 0;
        for (let c = 0; c < 3; c += 1) layer.data[4 * i + c] = inside ? photoPixels[4 * i + c] : 235 + photoPixels[4 * i + c] * 0.05;
        layer.data[4 * i + 3] = 255;
      }
      context.putImageData(layer, 0, 0);
      const share = ((100 * count) / labelAt.length).toFixed(1);
      const caption = el("figcaption", {});
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = `rgb(${label.rgb.join(",")})`;
      caption.append(swatch, `${label.name} ${share} %`);
      container.append(el("figure", { class: count ? "present" : "absent" }, canvas, caption));
    }
  }

  function openDetail(position) {
    current = position;
    const sample = visible[position];
    const head = el("div", { class: "detail-head" });
    head.append(el("h2", { text: sample.source_path }));
    const buttons = el("div", {});
    const previous = el("button", { type: "button", id: "detail-previous", text: "← previous" });
    const next = el("button", { type: "button", id: "detail-next", text: "next →" });
    const close = el("button", { type: "button", id: "detail-close", text: "close" });
    previous.disabled = position === 0;
    next.disabled = position >= visible.length - 1;
    previous.addEventListener("click", () => openDetail(current - 1));
    next.addEventListener("click", () => openDetail(current + 1));
    close.addEventListener("click", () => dialog.close());
    buttons.append(previous, " ", next, " ", close);
    head.append(buttons);
    const parts = [head];
    const verdict = el("p", { class: "verdict-line" });
    verdict.append(verdictBadge(sample), ` key ${sample.key} · category ${sample.category}`);
    if (sample.form) verdict.append(` · visible garment form: ${sample.form.replace("_", " ")}`);
    parts.push(verdict);
    if (sample.reason_message) parts.push(el("p", { class: "reason", text: sample.reason_message }));
    if (sample.photo) {
      const large = el("div", { class: "large" });
      const withPose = view(sample, "photo");
      if (sample.keypoints) withPose.append(skeleton(sample, sample.size[0], sample.size[1]));
      large.append(figure(withPose, sample.keypoints ? "photo and pose" : "source photo"));
      if (sample.mask) {
        large.append(figure(view(sample, "overlay"), "repaint region"));
        large.append(figure(view(sample, "agnostic"), "agnostic image"));
      }
      if (sample.parse) large.append(figure(el("div", { class: "view" }, el("img", { src: sample.parse, alt: "parse map" })), "parse map"));
      parts.push(large);
    } else {
      parts.push(el("div", { class: "placeholder", text: "no preview" }));
    }
    let layers = null;
    if (sample.parse) {
      parts.push(el("h3", { text: "Parse map, layer by layer" }));
      layers = el("div", { class: "layers" });
      parts.push(layers);
    }
    parts.push(el("h3", { text: "Statistics against thresholds" }));
    parts.push(Object.keys(sample.stats).length ? statisticsTable(sample) : el("p", { text: "No statistic was measured." }));
    dialog.replaceChildren(...parts);
    if (!dialog.open) dialog.showModal();
    if (layers) parseLayers(sample, layers).catch((error) => layers.append(el("p", { text: `layers unavailable: ${error}` })));
  }

  addOptions(controls.reason, [...new Set(samples.map((s) => s.reason_code).filter(Boolean))].sort());
  addOptions(controls.category, [...new Set(samples.map((s) => s.category))].sort());
  addOptions(controls.sortBy, data.statistics.map((s) => s.name));
  for (const control of [controls.verdict, controls.reason, controls.category, controls.sortBy, controls.order]) {
    control.addEventListener("change", apply);
  }
  controls.search.addEventListener("input", apply);
  controls.view.addEventListener("change", () => {
    grid.dataset.view = controls.view.value;
  });
  more.addEventListener("click", () => {
    limit += PAGE_SIZE;
    draw();
  });
  for (const button of document.querySelectorAll("button[data-reason]")) {
    button.addEventListener("click", () => {
      controls.verdict.value = "rejected";
      controls.reason.value = button.dataset.reason;
      apply();
      document.getElementById("gallery").scrollIntoView();
    });
  }
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" && current < visible.length - 1) openDetail(current + 1);
    if (event.key === "ArrowLeft" && current > 0) openDetail(current - 1);
  });
  apply();
})();
