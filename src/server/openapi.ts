import { formatBytes } from './body.js';

export interface ApiFacts {
  encoder: string;
  dimension: number;
  clips: number;
  /** A real embedding from the index, so that the examples answer. */
  exampleEmbedding: number[];
  defaultK: number;
  maxK: number;
  maxUploadBytes: number;
  /** Whether the index embeds whole clips window by window (else the first 8.192 s). */
  wholeClips: boolean;
}

const MATCHES = {
  type: 'array',
  items: {
    type: 'object',
    required: ['distance', 'coub_id', 'url'],
    properties: {
      distance: { type: 'number', description: 'cosine distance, 1 − cos θ: 0 for the same direction, 2 for the opposite' },
      coub_id: { type: 'string', description: "the coub's permalink, or the wav file name for a clip that is not a coub" },
      url: { type: 'string', description: 'https://coub.com/view/<permalink>, or the file name' },
    },
  },
};

const ERROR = {
  description: 'the request is wrong; `detail` says how',
  content: { 'application/json': { schema: { type: 'object', properties: { detail: { type: 'string' } } }, example: { detail: 'k must be an integer from 1 to 1000, got 0' } } },
};

/** The API as OpenAPI 3.0, served at /openapi.json and rendered at /docs. */
export function openApiSpec(facts: ApiFacts): Record<string, unknown> {
  const k = {
    name: 'k',
    in: 'query',
    description: `how many neighbours (default ${facts.defaultK})`,
    schema: { type: 'integer', minimum: 1, maximum: facts.maxK, default: facts.defaultK },
  };
  const nearestAnswer = { description: 'the nearest clips, nearest first', content: { 'application/json': { schema: MATCHES } } };
  return {
    openapi: '3.0.3',
    info: {
      title: 'boiler',
      version: '1',
      description: `Nearest coubs by sound: ${facts.clips} clips embedded with ${facts.encoder} (${facts.dimension} dimensions).`,
    },
    paths: {
      '/nearest': {
        post: {
          summary: 'The coubs nearest to an embedding',
          description:
            "The original boiler's call: the caller computes the embedding (for instance with the model directory's encoder.onnx). " +
            'It is taken as a vector of the index\'s own space: in a standardised model directory (manifest.json standardise), standardise it first with standardisation.json.',
          parameters: [k],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['embedding'],
                  properties: { embedding: { type: 'array', items: { type: 'number' }, minItems: facts.dimension, maxItems: facts.dimension } },
                },
                example: { embedding: facts.exampleEmbedding },
              },
            },
          },
          responses: { 200: nearestAnswer, 400: ERROR },
        },
      },
      '/nearest/audio': {
        post: {
          summary: 'The coubs nearest to an audio or video file',
          description:
            `The body is the media file itself (any Content-Type but multipart), or a multipart/form-data form with the file in a field named file. ` +
            `Any format ffmpeg decodes; at most ${formatBytes(facts.maxUploadBytes)}; ` +
            (facts.wholeClips ? 'all of it counts, 8.192 s window by window, as the index embedded its clips. ' : 'the first 8.192 s are what counts, as for the indexed clips. ') +
            'The X-Boiler-Audio-Seconds response header says how many seconds of audio were embedded.',
          parameters: [k],
          requestBody: {
            required: true,
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } },
            },
          },
          responses: { 200: nearestAnswer, 400: ERROR, 503: { description: 'the model directory has no encoder.onnx' } },
        },
      },
      '/health': {
        get: {
          summary: 'Whether the server is up, and what it serves',
          responses: {
            200: {
              description: 'up',
              content: {
                'application/json': {
                  example: { status: 'ok', encoder: facts.encoder, dimension: facts.dimension, clips: facts.clips, audio: true },
                },
              },
            },
          },
        },
      },
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** A self-contained page (no scripts, no CDN): each call with runnable curl examples. */
export function docsPage(facts: ApiFacts, baseUrl: string): string {
  const embedding = JSON.stringify({ embedding: facts.exampleEmbedding });
  const calls = [
    {
      title: 'POST /nearest',
      text: 'The coubs nearest to an embedding. Answers <code>[{"distance", "coub_id", "url"}]</code>, nearest first; <code>distance</code> is the cosine distance 1 − cos θ.',
      curl: `curl -s -X POST '${baseUrl}/nearest?k=${facts.defaultK}' -H 'Content-Type: application/json' -d '${embedding}'`,
    },
    {
      title: 'POST /nearest/audio',
      text: `The coubs nearest to a media file (any format ffmpeg decodes, at most ${formatBytes(facts.maxUploadBytes)}), sent as the body or as a form field named <code>file</code>.`,
      curl: `curl -s -X POST '${baseUrl}/nearest/audio?k=5' --data-binary @clip.mp3\ncurl -s '${baseUrl}/nearest/audio?k=5' -F file=@clip.mp4`,
    },
    { title: 'GET /health', text: 'Whether the server is up, and what it serves.', curl: `curl -s ${baseUrl}/health` },
  ];
  const sections = calls
    .map((c) => `<h2>${escapeHtml(c.title)}</h2>\n<p>${c.text}</p>\n<pre>${escapeHtml(c.curl)}</pre>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>boiler API</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}pre{background:#f4f4f4;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}</style>
</head><body>
<h1>boiler API</h1>
<p>Nearest coubs by sound: ${facts.clips} clips embedded with ${escapeHtml(facts.encoder)} (${facts.dimension} dimensions).
<code>k</code> (1–${facts.maxK}, default ${facts.defaultK}) is how many neighbours. Errors answer 400 with <code>{"detail": "…"}</code>.
The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3).</p>
${sections}
</body></html>
`;
}
