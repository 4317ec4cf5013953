// What every page of boiler needs: JSON from the server with errors in its own words, and a small element builder.

/** Fetches `url` and answers `{ response, json }`; a failure throws an Error whose message is the server's one-line `detail`. */
export async function fetchJson(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new Error('the server did not answer: is boiler serve still running?');
  }
  if (!response.ok) throw new Error(await failureDetail(response));
  return { response, json: await response.json() };
}

/** The `detail` of an error answer, or its status line when the body is not the server's JSON. */
export async function failureDetail(response) {
  try {
    const body = await response.json();
    if (body && typeof body.detail === 'string') return body.detail;
  } catch {
    // not JSON: fall back to the status line
  }
  return `the server answered ${response.status} ${response.statusText}`.trim();
}

/** Creates an element with attributes (`text` sets its text) and children. */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

/** The path of a clip's audio, as GET /clips/ID/audio serves it. */
export function clipAudioPath(id) {
  return `/clips/${encodeURIComponent(id)}/audio`;
}
