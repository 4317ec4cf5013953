// The map of every clip (GET /map: x, y in [0, 1], a label each), drawn on a canvas that stays smooth
// at 100,000 points: the points are drawn once per size or zoom into an offscreen layer, and each
// mouse move only copies that layer and rings one point, found through a uniform grid.
import { clipAudioPath, element, failureDetail } from './shared.js';

/** Distinct colours for labels (none of them grey, which means "no label"). */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#1b9e77', '#7570b3', '#d95f02'];
const UNLABELLED = '#9aa0a6';
/** Up to this many points are drawn as antialiased discs; more as pixel squares straight into ImageData. */
const DISC_LIMIT = 5000;
/** Margin around the points, in CSS pixels. */
const PAD = 14;
/** How near (CSS pixels) the pointer must be to a point to hover it. */
const HOVER_RADIUS = 14;
/** A press that moves further than this (CSS pixels) pans instead of clicking. */
const DRAG_THRESHOLD = 4;
const MAX_ZOOM = 400;

/** The colour of label `label` (grey for -1). */
function colourOf(label) {
  return label < 0 ? UNLABELLED : PALETTE[label % PALETTE.length];
}

/** `#rrggbb` as a little-endian RGBA word for a Uint32Array view of ImageData. */
function pixelWord(hex) {
  const value = parseInt(hex.slice(1), 16);
  return ((255 << 24) | ((value & 0xff) << 16) | (value & 0xff00) | (value >> 16)) >>> 0;
}

/** Checks GET /map's answer and turns it into typed arrays. */
export function pointsFrom(map) {
  const count = map.ids.length;
  for (const key of ['titles', 'x', 'y']) {
    if (map[key].length !== count) throw new Error(`the map has ${count} ids but ${map[key].length} ${key}`);
  }
  const labels = Array.isArray(map.labels) ? map.labels : [];
  const label = new Int32Array(count).fill(-1);
  if (Array.isArray(map.label)) map.label.forEach((value, i) => (label[i] = Number.isInteger(value) && value < labels.length ? value : -1));
  return { count, ids: map.ids, titles: map.titles, x: Float32Array.from(map.x), y: Float32Array.from(map.y), label, labels, labelSource: map.labelSource ?? null };
}

/**
 * A uniform grid over [0, 1]²: the points of each cell, contiguous in `items` from `starts[cell]`
 * (a counting sort), about four points a cell.
 */
export function buildGrid(x, y) {
  const count = x.length;
  const side = Math.max(1, Math.min(2048, Math.ceil(Math.sqrt(count / 4))));
  const cellOf = (value) => Math.min(side - 1, Math.max(0, Math.floor(value * side)));
  const cells = new Int32Array(count);
  const starts = new Int32Array(side * side + 1);
  for (let i = 0; i < count; i++) {
    cells[i] = cellOf(y[i]) * side + cellOf(x[i]);
    starts[cells[i] + 1]++;
  }
  for (let c = 0; c < side * side; c++) starts[c + 1] += starts[c];
  const next = starts.slice(0, side * side);
  const items = new Int32Array(count);
  for (let i = 0; i < count; i++) items[next[cells[i]]++] = i;
  return { side, cellOf, starts, items };
}

/** The point nearest (x, y) within `radius` (data units), or -1; `visited` counts the points looked at. */
export function nearestInGrid(grid, xs, ys, x, y, radius) {
  const { side, cellOf, starts, items } = grid;
  let best = -1;
  let bestDistance = radius * radius;
  let visited = 0;
  const column0 = cellOf(x - radius);
  const column1 = cellOf(x + radius);
  const row1 = cellOf(y + radius);
  for (let row = cellOf(y - radius); row <= row1; row++) {
    for (let column = column0; column <= column1; column++) {
      const cell = row * side + column;
      for (let k = starts[cell]; k < starts[cell + 1]; k++) {
        const i = items[k];
        const dx = xs[i] - x;
        const dy = ys[i] - y;
        const distance = dx * dx + dy * dy;
        visited++;
        if (distance <= bestDistance) {
          bestDistance = distance;
          best = i;
        }
      }
    }
  }
  return { index: best, visited };
}

/** GET /map, waiting out its 202 "being computed" answers (Retry-After seconds each). */
async function fetchMap(onWaiting) {
  for (;;) {
    let response;
    try {
      response = await fetch('/map');
    } catch {
      throw new Error('the server did not answer: is boiler serve still running?');
    }
    if (response.status === 202) {
      const body = await response.json().catch(() => ({}));
      onWaiting(body.detail ?? 'the map is being computed');
      const seconds = Number(response.headers.get('Retry-After'));
      await new Promise((resolve) => setTimeout(resolve, 1000 * (seconds > 0 ? seconds : 2)));
      continue;
    }
    if (!response.ok) throw new Error(await failureDetail(response));
    return response.json();
  }
}

/**
 * Draws the map into `canvas` and wires hover, click, zoom, pan and keys. Answers the map's handle
 * (window.boilerMap): `load(map)` replaces the points with a GET /map-shaped object, `screenPointOf(i)`
 * gives a point's client coordinates, and `stats` counts full redraws and hover look-ups.
 */
export function createMap(ui) {
  const { canvas, frame, tooltip, status, live, legend, audio } = ui;
  const context = canvas.getContext('2d');
  const layer = document.createElement('canvas');
  const stats = { baseRenders: 0, lastBaseRenderMs: 0, paints: 0, lastPaintMs: 0, lookups: 0, maxLookupVisited: 0 };
  let points = null;
  let grid = null;
  let view = { zoom: 1, cx: 0.5, cy: 0.5 };
  let size = { width: 0, height: 0, ratio: 1 };
  let hovered = -1;
  let selected = -1; // the keyboard's point
  let drag = null;
  let layerStale = true;
  let frameRequested = false;

  const scale = () => Math.max(1, Math.min(size.width, size.height) - 2 * PAD) * view.zoom;
  const toScreenX = (x) => size.width / 2 + (x - view.cx) * scale();
  const toScreenY = (y) => size.height / 2 + (y - view.cy) * scale();
  const toDataX = (sx) => view.cx + (sx - size.width / 2) / scale();
  const toDataY = (sy) => view.cy + (sy - size.height / 2) / scale();

  function setStatus(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  /** Draws every point into the offscreen layer: once per load, size, zoom or pan, never per mouse move. */
  function renderLayer() {
    const started = performance.now();
    const { ratio } = size;
    layer.width = canvas.width;
    layer.height = canvas.height;
    const layerContext = layer.getContext('2d');
    layerContext.clearRect(0, 0, layer.width, layer.height);
    if (points && points.count <= DISC_LIMIT) {
      const radius = (points.count <= 500 ? 5 : 3) * ratio;
      const groups = new Map();
      for (let i = 0; i < points.count; i++) {
        const colour = colourOf(points.label[i]);
        if (!groups.has(colour)) groups.set(colour, []);
        groups.get(colour).push(i);
      }
      layerContext.lineWidth = ratio;
      layerContext.strokeStyle = 'rgba(255, 255, 255, 0.85)';
      for (const [colour, members] of groups) {
        layerContext.beginPath();
        for (const i of members) {
          const px = toScreenX(points.x[i]) * ratio;
          const py = toScreenY(points.y[i]) * ratio;
          layerContext.moveTo(px + radius, py);
          layerContext.arc(px, py, radius, 0, 2 * Math.PI);
        }
        layerContext.fillStyle = colour;
        layerContext.fill();
        layerContext.stroke();
      }
    } else if (points) {
      const { width, height } = layer;
      const image = layerContext.createImageData(width, height);
      const pixels = new Uint32Array(image.data.buffer);
      const words = [pixelWord(UNLABELLED), ...PALETTE.map(pixelWord)];
      const side = Math.max(1, Math.round(2 * ratio));
      const half = side >> 1;
      for (let i = 0; i < points.count; i++) {
        const px = Math.round(toScreenX(points.x[i]) * ratio) - half;
        const py = Math.round(toScreenY(points.y[i]) * ratio) - half;
        if (px < -side || py < -side || px >= width || py >= height) continue;
        const word = words[points.label[i] < 0 ? 0 : 1 + (points.label[i] % PALETTE.length)];
        for (let row = Math.max(0, py); row < Math.min(height, py + side); row++) {
          pixels.fill(word, row * width + Math.max(0, px), row * width + Math.min(width, px + side));
        }
      }
      layerContext.putImageData(image, 0, 0);
    }
    layerStale = false;
    stats.baseRenders++;
    stats.lastBaseRenderMs = performance.now() - started;
  }

  /** One frame: the layer (shifted while a drag pans it) and a ring around the hovered or selected point. */
  function paint() {
    frameRequested = false;
    const started = performance.now();
    if (layerStale) renderLayer();
    const { ratio } = size;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    const shiftX = drag?.panning ? drag.dx * ratio : 0;
    const shiftY = drag?.panning ? drag.dy * ratio : 0;
    context.drawImage(layer, shiftX, shiftY);
    const focus = hovered >= 0 ? hovered : selected;
    if (points && focus >= 0 && !drag?.panning) {
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.beginPath();
      context.arc(toScreenX(points.x[focus]), toScreenY(points.y[focus]), 8, 0, 2 * Math.PI);
      context.lineWidth = 2.5;
      context.strokeStyle = '#111827';
      context.stroke();
      context.beginPath();
      context.arc(toScreenX(points.x[focus]), toScreenY(points.y[focus]), 10.5, 0, 2 * Math.PI);
      context.lineWidth = 2;
      context.strokeStyle = '#ffffff';
      context.stroke();
    }
    stats.paints++;
    stats.lastPaintMs = performance.now() - started;
  }

  function requestPaint() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(paint);
  }

  function invalidate() {
    layerStale = true;
    requestPaint();
  }

  /** Matches the canvas's backing store to its CSS size times devicePixelRatio. */
  function fitCanvas() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === size.width && height === size.height && ratio === size.ratio) return;
    size = { width, height, ratio };
    canvas.width = Math.max(1, Math.round(width * ratio));
    canvas.height = Math.max(1, Math.round(height * ratio));
    invalidate();
  }

  function showTooltip(index) {
    if (!points || index < 0) {
      tooltip.hidden = true;
      return;
    }
    const label = points.label[index] >= 0 ? points.labels[points.label[index]] : null;
    tooltip.replaceChildren(element('strong', { text: points.titles[index] || points.ids[index] }), label ? element('span', { text: label }) : '');
    tooltip.hidden = false;
    const x = toScreenX(points.x[index]);
    const y = toScreenY(points.y[index]);
    const left = Math.min(Math.max(4, x + 12), Math.max(4, size.width - tooltip.offsetWidth - 4));
    const top = y - tooltip.offsetHeight - 12 >= 0 ? y - tooltip.offsetHeight - 12 : y + 14;
    tooltip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  function hover(index) {
    if (index === hovered) return;
    hovered = index;
    canvas.style.cursor = index >= 0 ? 'pointer' : drag ? 'grabbing' : 'grab';
    showTooltip(index >= 0 ? index : selected);
    requestPaint();
  }

  function pointAt(clientX, clientY) {
    if (!points || !grid) return -1;
    const box = canvas.getBoundingClientRect();
    const found = nearestInGrid(grid, points.x, points.y, toDataX(clientX - box.left), toDataY(clientY - box.top), HOVER_RADIUS / scale());
    stats.lookups++;
    stats.maxLookupVisited = Math.max(stats.maxLookupVisited, found.visited);
    return found.index;
  }

  function pick(index) {
    const id = points.ids[index];
    const title = points.titles[index] || id;
    audio.src = clipAudioPath(id);
    audio.play().catch(() => {
      // autoplay refused or the audio failed: the controls below the map still let the user play it
    });
    ui.nowPlayingTitle.textContent = `Playing ${title}`;
    ui.nowPlaying.hidden = false;
    ui.onPick(id, title);
  }

  /** Keeps the view's centre where some of [0, 1]² is still on screen. */
  function clampView() {
    view.zoom = Math.min(MAX_ZOOM, Math.max(1, view.zoom));
    const slack = 0.5 / view.zoom;
    view.cx = Math.min(1 + slack, Math.max(-slack, view.cx));
    view.cy = Math.min(1 + slack, Math.max(-slack, view.cy));
  }

  function select(index) {
    selected = index;
    if (index < 0) return;
    const x = toScreenX(points.x[index]);
    const y = toScreenY(points.y[index]);
    if (x < PAD || y < PAD || x > size.width - PAD || y > size.height - PAD) {
      view.cx = points.x[index];
      view.cy = points.y[index];
      clampView();
      invalidate();
    }
    hovered = -1;
    showTooltip(index);
    live.textContent = points.titles[index] || points.ids[index];
    requestPaint();
  }

  /** The nearest point from `from` in the direction (dx, dy), within 45° of it; -1 when there is none. */
  function neighbourTowards(from, dx, dy) {
    let best = -1;
    let bestDistance = Infinity;
    for (let i = 0; i < points.count; i++) {
      const ox = points.x[i] - points.x[from];
      const oy = points.y[i] - points.y[from];
      const along = ox * dx + oy * dy;
      const across = Math.abs(ox * dy - oy * dx);
      if (along <= 0 || across > along) continue;
      const distance = ox * ox + oy * oy;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    return best;
  }

  canvas.addEventListener('pointermove', (event) => {
    if (drag && drag.pointerId === event.pointerId) {
      drag.dx = event.clientX - drag.x;
      drag.dy = event.clientY - drag.y;
      if (!drag.panning && Math.hypot(drag.dx, drag.dy) > DRAG_THRESHOLD) {
        drag.panning = true;
        hover(-1);
        tooltip.hidden = true;
        canvas.style.cursor = 'grabbing';
      }
      if (drag.panning) return void requestPaint();
    }
    hover(pointAt(event.clientX, event.clientY));
  });
  canvas.addEventListener('pointerleave', () => {
    if (!drag) hover(-1);
  });
  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { pointerId: event.pointerId, x: event.clientX, y: event.clientY, dx: 0, dy: 0, panning: false };
    canvas.setPointerCapture?.(event.pointerId);
  });
  const endDrag = (event, cancelled) => {
    if (!drag || drag.pointerId !== event.pointerId) return;
    const ended = drag;
    drag = null;
    if (ended.panning) {
      view.cx -= ended.dx / scale();
      view.cy -= ended.dy / scale();
      clampView();
      invalidate();
      canvas.style.cursor = 'grab';
    } else if (!cancelled) {
      const index = pointAt(event.clientX, event.clientY);
      if (index >= 0) {
        select(index);
        pick(index);
      }
    }
  };
  canvas.addEventListener('pointerup', (event) => endDrag(event, false));
  canvas.addEventListener('pointercancel', (event) => endDrag(event, true));
  canvas.addEventListener(
    'wheel',
    (event) => {
      if (!points) return;
      event.preventDefault();
      const box = canvas.getBoundingClientRect();
      const sx = event.clientX - box.left;
      const sy = event.clientY - box.top;
      const anchorX = toDataX(sx);
      const anchorY = toDataY(sy);
      const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? size.height : 1;
      view.zoom *= Math.exp(-event.deltaY * lines * 0.002);
      clampView();
      view.cx = anchorX - (sx - size.width / 2) / scale();
      view.cy = anchorY - (sy - size.height / 2) / scale();
      clampView();
      hover(-1);
      invalidate();
    },
    { passive: false },
  );
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  canvas.addEventListener('keydown', (event) => {
    if (!points || !points.count) return;
    if (event.key in ARROWS) {
      event.preventDefault();
      if (selected < 0) {
        const centre = nearestInGrid(grid, points.x, points.y, view.cx, view.cy, 2);
        select(centre.index);
        return;
      }
      const next = neighbourTowards(selected, ...ARROWS[event.key]);
      if (next >= 0) select(next);
    } else if (event.key === 'Enter' && selected >= 0) {
      event.preventDefault();
      pick(selected);
    } else if (event.key === 'Escape') {
      select(-1);
      showTooltip(-1);
      requestPaint();
    }
  });
  canvas.addEventListener('blur', () => {
    if (hovered < 0) tooltip.hidden = true;
  });
  ui.reset.addEventListener('click', () => {
    view = { zoom: 1, cx: 0.5, cy: 0.5 };
    hover(-1);
    invalidate();
  });

  function renderLegend() {
    const counts = new Map();
    for (let i = 0; i < points.count; i++) counts.set(points.label[i], (counts.get(points.label[i]) ?? 0) + 1);
    const entry = (label, name) =>
      element('li', {}, element('span', { class: 'swatch', style: `background:${colourOf(label)}`, 'aria-hidden': 'true' }), `${name} (${(counts.get(label) ?? 0).toLocaleString('en')})`);
    const entries = points.labels.map((name, label) => (counts.has(label) ? entry(label, name) : null)).filter(Boolean);
    if (counts.has(-1)) entries.push(entry(-1, points.labels.length ? 'no label' : 'all clips, unlabelled'));
    legend.replaceChildren(...entries);
    if (points.labelSource) legend.append(element('li', { class: 'source', text: `colours: ${points.labelSource}` }));
  }

  function load(map) {
    points = pointsFrom(map);
    grid = buildGrid(points.x, points.y);
    hovered = -1;
    selected = -1;
    tooltip.hidden = true;
    view = { zoom: 1, cx: 0.5, cy: 0.5 };
    canvas.setAttribute('aria-label', `Map of ${points.count.toLocaleString('en')} clips: arrow keys move between clips, Enter searches from the highlighted one`);
    renderLegend();
    setStatus(points.count ? '' : 'The index has no clips to map.');
    fitCanvas();
    invalidate();
  }

  new ResizeObserver(fitCanvas).observe(frame);
  // A window moved to a screen of another pixel ratio (or a browser zoom) changes devicePixelRatio without resizing the frame.
  const watchRatio = () => window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener('change', () => (fitCanvas(), watchRatio()), { once: true });
  watchRatio();
  fitCanvas();
  canvas.style.cursor = 'grab';

  fetchMap((detail) => setStatus(`${detail}…`))
    .then(load)
    .catch((error) => setStatus(`No map: ${error.message}`));

  return {
    load,
    stats,
    /** The client coordinates of point `index` (for tests and tools). */
    screenPointOf(index) {
      const box = canvas.getBoundingClientRect();
      return { x: box.left + toScreenX(points.x[index]), y: box.top + toScreenY(points.y[index]) };
    },
    get count() {
      return points?.count ?? 0;
    },
  };
}
