// The search page: a query (an uploaded file, a recording or an indexed clip) → its nearest clips,
// each playable, votable and a query of its own; plus the map of every clip (map.js).
import { clipAudioPath, element, fetchJson } from './shared.js';
import { createMap } from './map.js';

/** Results per search (the API's default). */
const K = 12;
/** How long the clip search waits after the last keystroke before asking the server. */
const TYPING_PAUSE_MS = 200;

const byId = (id) => document.getElementById(id);
const ui = {
  model: byId('model'),
  trainingLink: byId('training-link'),
  upload: byId('upload'),
  drop: byId('drop'),
  record: byId('record'),
  recordLabel: byId('record-label'),
  clipSearch: byId('clip-search'),
  clipOptions: byId('clip-options'),
  status: byId('status'),
  query: byId('query'),
  error: byId('error'),
  empty: byId('empty'),
  results: byId('results'),
  resultsPanel: byId('results-panel'),
};

/** Answers of older searches are dropped when a newer one has started. */
let searchTicket = 0;
/** The object URL that lets an uploaded query be played back; revoked when the next query replaces it. */
let queryAudioUrl = null;

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function setBusy(message) {
  ui.status.textContent = message;
  ui.resultsPanel.setAttribute('aria-busy', String(Boolean(message)));
  ui.resultsPanel.classList.toggle('loading', Boolean(message));
}

/**
 * Runs one search: `perform` answers `{ matches, query, describe }` where `query` is what POST /feedback
 * calls it and `describe` fills the query line. Only the latest search's answer is shown.
 */
async function runSearch(pending, perform) {
  const ticket = ++searchTicket;
  showError('');
  setBusy(pending);
  try {
    const found = await perform();
    if (ticket !== searchTicket) return;
    found.describe();
    renderResults(found.matches, found.query);
  } catch (error) {
    if (ticket === searchTicket) showError(error.message);
  } finally {
    if (ticket === searchTicket) setBusy('');
  }
}

/** Searches with an audio or video file (or a recording): POST /nearest/audio with the file as the body. */
function searchUpload(file, name) {
  return runSearch(`Listening to ${name}…`, async () => {
    const { response, json } = await fetchJson(`/nearest/audio?k=${K}`, {
      method: 'POST',
      body: file,
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
    });
    const seconds = Number(response.headers.get('X-Boiler-Audio-Seconds'));
    const sha256 = response.headers.get('X-Boiler-Upload-Sha256') ?? '';
    return {
      matches: json,
      query: { upload: name, sha256 },
      describe: () => {
        const embedded = Number.isFinite(seconds) ? `${seconds.toFixed(1)} s of audio embedded` : 'audio embedded';
        showQuery('Your file', name, embedded, URL.createObjectURL(file));
      },
    };
  });
}

/** Searches from an indexed clip ("more like this"): GET /nearest/clip/ID. */
function searchClip(id, title) {
  return runSearch(`Finding clips like ${title}…`, async () => {
    const { json } = await fetchJson(`/nearest/clip/${encodeURIComponent(id)}?k=${K}`);
    return { matches: json, query: { clip: id }, describe: () => showQuery('Indexed clip', title, id === title ? '' : id, clipAudioPath(id)) };
  });
}

function showQuery(kind, name, detail, audioSrc) {
  if (queryAudioUrl) URL.revokeObjectURL(queryAudioUrl);
  queryAudioUrl = audioSrc.startsWith('blob:') ? audioSrc : null;
  ui.query.replaceChildren(
    element('p', { class: 'query-line' },
      element('span', { class: 'query-kind', text: `${kind}:` }), ' ',
      element('strong', { class: 'query-name', 'data-testid': 'query-name', text: name }),
      detail ? element('span', { class: 'query-detail', 'data-testid': 'query-detail', text: ` · ${detail}` }) : ''),
    element('audio', { controls: true, preload: 'metadata', src: audioSrc, 'aria-label': `Play the query, ${name}` }),
  );
  ui.query.hidden = false;
}

function renderResults(matches, query) {
  ui.empty.hidden = true;
  ui.empty.textContent = '';
  if (!matches.length) {
    ui.empty.hidden = false;
    ui.empty.textContent = 'No other clips in the index.';
  }
  ui.results.replaceChildren(...matches.map((match) => resultItem(match, query)));
}

const THUMB_PATH = 'M2 21h4V9H2v12zm21-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L14.2 1 7.6 7.6C7.2 8 7 8.5 7 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7 .2-.8v-2z';

function thumbIcon(down) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  if (down) svg.setAttribute('class', 'down');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', THUMB_PATH);
  svg.append(path);
  return svg;
}

function resultItem(match, query) {
  const title = match.title || match.coub_id;
  const meta = element('p', { class: 'meta' }, element('span', { class: 'distance', 'data-testid': 'distance', text: `distance ${match.distance.toFixed(3)}` }));
  if (match.category) meta.append(element('span', { class: 'category', 'data-testid': 'category', text: match.category }));
  if (match.coub) meta.append(element('a', { href: match.coub, target: '_blank', rel: 'noopener', 'data-testid': 'coub-link', text: 'Open on coub ↗' }));

  const more = element('button', { type: 'button', class: 'quiet', 'data-testid': 'more-like-this', text: 'More like this' });
  more.addEventListener('click', () => searchClip(match.coub_id, title));

  const voteStatus = element('span', { class: 'vote-status', 'data-testid': 'vote-status', 'aria-live': 'polite' });
  const voteButton = (vote) => {
    const label = vote === 'up' ? `Good match: ${title}` : `Poor match: ${title}`;
    const button = element('button', { type: 'button', class: `vote ${vote}`, 'data-testid': `feedback-${vote}`, 'aria-pressed': 'false', 'aria-label': label, title: vote === 'up' ? 'Good match' : 'Poor match' }, thumbIcon(vote === 'down'));
    return button;
  };
  const up = voteButton('up');
  const down = voteButton('down');
  const vote = async (choice) => {
    const pressed = choice === 'up' ? up : down;
    const other = choice === 'up' ? down : up;
    pressed.disabled = true;
    try {
      await fetchJson('/feedback', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query, result: match.coub_id, vote: choice, rank: match.rank, distance: match.distance }),
      });
      pressed.setAttribute('aria-pressed', 'true');
      other.setAttribute('aria-pressed', 'false');
      voteStatus.textContent = 'Thanks, noted';
    } catch (error) {
      showError(`Your vote was not recorded: ${error.message}`);
    } finally {
      pressed.disabled = false;
    }
  };
  up.addEventListener('click', () => vote('up'));
  down.addEventListener('click', () => vote('down'));

  return element('li', { class: 'result', 'data-testid': 'result', 'data-id': match.coub_id },
    element('div', { class: 'result-head' },
      element('span', { class: 'rank', 'aria-label': `rank ${match.rank}`, text: String(match.rank) }),
      element('div', { class: 'result-text' }, element('h3', { class: 'title', 'data-testid': 'result-title', text: title }), meta)),
    element('audio', { 'data-testid': 'result-audio', controls: true, preload: 'metadata', src: match.audio, 'aria-label': `Play ${title}` }),
    element('div', { class: 'actions' },
      more,
      element('span', { class: 'votes', role: 'group', 'aria-label': `Is ${title} a good match?` }, up, down),
      voteStatus));
}

/** The drop zone and the file input: choosing or dropping a file searches with it at once. */
function setUpUpload() {
  ui.upload.addEventListener('change', () => {
    const [file] = ui.upload.files;
    if (file) searchUpload(file, file.name);
    ui.upload.value = ''; // choosing the same file again searches again
  });
  const hover = (on) => (event) => {
    event.preventDefault();
    ui.drop.classList.toggle('dragging', on);
  };
  ui.drop.addEventListener('dragenter', hover(true));
  ui.drop.addEventListener('dragover', hover(true));
  ui.drop.addEventListener('dragleave', hover(false));
  ui.drop.addEventListener('drop', (event) => {
    hover(false)(event);
    const file = event.dataTransfer?.files?.[0];
    if (file) searchUpload(file, file.name);
  });
}

/** The Record button, where the browser can record: record → stop → search with the recording. */
function setUpRecorder() {
  if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') return;
  ui.record.hidden = false;
  let recorder = null;
  let ticker = null;
  const idle = () => {
    recorder = null;
    clearInterval(ticker);
    ui.record.setAttribute('aria-pressed', 'false');
    ui.record.classList.remove('recording');
    ui.recordLabel.textContent = 'Record';
  };
  ui.record.addEventListener('click', async () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      showError(`The microphone is not available: ${error.message}`);
      return;
    }
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.addEventListener('dataavailable', (event) => chunks.push(event.data));
    recorder.addEventListener('stop', () => {
      const type = recorder.mimeType || 'audio/webm';
      stream.getTracks().forEach((track) => track.stop());
      idle();
      const extension = type.includes('ogg') ? 'ogg' : type.includes('mp4') ? 'm4a' : 'webm';
      searchUpload(new Blob(chunks, { type }), `recording.${extension}`);
    });
    recorder.start();
    const started = Date.now();
    ui.record.setAttribute('aria-pressed', 'true');
    ui.record.classList.add('recording');
    ui.recordLabel.textContent = 'Stop (0 s)';
    ticker = setInterval(() => (ui.recordLabel.textContent = `Stop (${Math.floor((Date.now() - started) / 1000)} s)`), 500);
  });
}

/** The clip search: a combobox over GET /clips?q=, debounced; picking a clip searches from it. */
function setUpClipSearch() {
  let timer = null;
  let active = -1;
  let ticket = 0;
  const options = () => [...ui.clipOptions.children];
  const close = () => {
    ui.clipOptions.hidden = true;
    ui.clipSearch.setAttribute('aria-expanded', 'false');
    ui.clipSearch.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const highlight = (index) => {
    const all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute('aria-selected', String(i === active)));
    ui.clipSearch.setAttribute('aria-activedescendant', all[active].id);
    all[active].scrollIntoView({ block: 'nearest' });
  };
  const pick = (option) => {
    close();
    ui.clipSearch.value = option.dataset.title;
    searchClip(option.dataset.id, option.dataset.title);
  };
  const lookUp = async () => {
    const mine = ++ticket;
    const q = ui.clipSearch.value.trim();
    try {
      const { json } = await fetchJson(`/clips?limit=20${q ? `&q=${encodeURIComponent(q)}` : ''}`);
      if (mine !== ticket) return;
      const found = json.clips.map((clip, i) => {
        const option = element('li', { role: 'option', id: `clip-option-${i}`, 'aria-selected': 'false', 'data-id': clip.id, 'data-title': clip.title || clip.id },
          element('span', { class: 'option-title', text: clip.title || clip.id }),
          clip.title && clip.title !== clip.id ? element('span', { class: 'option-id', text: clip.id }) : '');
        option.addEventListener('mousedown', (event) => event.preventDefault()); // keep the focus in the input
        option.addEventListener('click', () => pick(option));
        return option;
      });
      if (!found.length) found.push(element('li', { class: 'no-options', role: 'option', 'aria-disabled': 'true', text: `No clip matches “${q}”` }));
      else if (json.total > found.length) found.push(element('li', { class: 'no-options', role: 'option', 'aria-disabled': 'true', text: `${json.total - found.length} more: type more of the name` }));
      ui.clipOptions.replaceChildren(...found);
      ui.clipOptions.hidden = false;
      ui.clipSearch.setAttribute('aria-expanded', 'true');
      active = -1;
    } catch (error) {
      if (mine === ticket) showError(error.message);
    }
  };
  ui.clipSearch.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(lookUp, TYPING_PAUSE_MS);
  });
  ui.clipSearch.addEventListener('focus', () => {
    if (ui.clipOptions.hidden) lookUp();
  });
  ui.clipSearch.addEventListener('blur', close);
  ui.clipSearch.addEventListener('keydown', (event) => {
    const pickable = options().filter((option) => option.dataset.id);
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (ui.clipOptions.hidden) return void lookUp();
      highlight(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter') {
      const chosen = options()[active]?.dataset.id ? options()[active] : pickable.length === 1 ? pickable[0] : null;
      if (chosen) {
        event.preventDefault();
        pick(chosen);
      }
    } else if (event.key === 'Escape') {
      close();
    }
  });
}

async function showModel() {
  try {
    const { json: health } = await fetchJson('/health');
    ui.model.textContent = `${health.encoder} · ${health.clips.toLocaleString('en')} clips`;
    ui.trainingLink.hidden = !health.training;
    if (!health.audio) {
      ui.upload.disabled = true;
      ui.record.disabled = true;
      ui.drop.classList.add('disabled');
      ui.drop.querySelector('.hint').textContent = 'this server cannot embed audio (its model directory has no encoder): search from indexed clips instead';
    }
  } catch (error) {
    ui.model.textContent = 'server unavailable';
    showError(error.message);
  }
}

showModel();
setUpUpload();
setUpRecorder();
setUpClipSearch();
window.boilerMap = createMap({
  canvas: byId('map'),
  frame: byId('map-frame'),
  tooltip: byId('map-tooltip'),
  status: byId('map-status'),
  live: byId('map-live'),
  legend: byId('map-legend'),
  reset: byId('map-reset'),
  audio: byId('map-audio'),
  nowPlaying: byId('now-playing'),
  nowPlayingTitle: byId('now-playing-title'),
  onPick: (id, title) => searchClip(id, title),
});
