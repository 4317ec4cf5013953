import { formatBytes } from './body.js';

export interface ApiFacts {
  encoder: string;
  dimension: number;
  clips: number;
  /** A real embedding and clip id from the index, so that the examples answer. */
  exampleEmbedding: number[];
  exampleClip: string;
  defaultK: number;
  maxK: number;
  maxUploadBytes: number;
  /** Whether the index embeds whole clips window by window (else the first 8.192 s). */
  wholeClips: boolean;
}

/** What GET /clips and every match say of a clip, besides its id and url. */
const CLIP_FIELDS = {
  title: { type: 'string', description: "the crawl's title, else the wav file's stem" },
  coub: { type: 'string', nullable: true, description: "the coub's page, null for a clip that is not a coub" },
  category: { type: 'string', nullable: true, description: "the crawl's category" },
  audio: { type: 'string', nullable: true, description: "where GET serves the clip's audio (/clips/{id}/audio)" },
};

const MATCHES = {
  type: 'array',
  items: {
    type: 'object',
    required: ['distance', 'coub_id', 'url'],
    properties: {
      distance: { type: 'number', description: 'cosine distance, 1 − cos θ: 0 for the same direction, 2 for the opposite' },
      coub_id: { type: 'string', description: "the coub's permalink, or the wav file name for a clip that is not a coub" },
      url: { type: 'string', description: 'https://coub.com/view/<permalink>, or the file name' },
      rank: { type: 'integer', description: '1 for the nearest' },
      ...CLIP_FIELDS,
    },
  },
};

/** A required JSON request body, with an example that answers. */
function jsonBody(schema: Record<string, unknown>, example: unknown) {
  return { required: true, content: { 'application/json': { schema, example } } };
}

const NOT_FOUND = {
  description: 'no such clip (or data); `detail` says what to do',
  content: { 'application/json': { schema: { type: 'object', properties: { detail: { type: 'string' } } } } },
};

const ERROR = {
  description: 'the request is wrong; `detail` says how',
  content: { 'application/json': { schema: { type: 'object', properties: { detail: { type: 'string' } } }, example: { detail: 'k must be an integer from 1 to 1000, got 0' } } },
};

/** The API as OpenAPI 3.0, served at /openapi.json and rendered by Swagger UI at /docs. */
export function openApiSpec(facts: ApiFacts): Record<string, unknown> {
  const k = {
    name: 'k',
    in: 'query',
    description: `how many neighbours (default ${facts.defaultK})`,
    schema: { type: 'integer', minimum: 1, maximum: facts.maxK, default: facts.defaultK },
  };
  const clipId = {
    name: 'id',
    in: 'path',
    required: true,
    description: "a clip's coub_id (its permalink, or its wav file name)",
    schema: { type: 'string', example: facts.exampleClip },
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
          requestBody: jsonBody(
            {
              type: 'object',
              required: ['embedding'],
              properties: { embedding: { type: 'array', items: { type: 'number' }, minItems: facts.dimension, maxItems: facts.dimension } },
            },
            { embedding: facts.exampleEmbedding },
          ),
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
      '/nearest/clip/{id}': {
        get: {
          summary: 'The coubs nearest to an indexed clip ("more like this")',
          description: 'The clip itself is left out.',
          parameters: [clipId, k],
          responses: { 200: nearestAnswer, 400: ERROR, 404: NOT_FOUND },
        },
      },
      '/clips': {
        get: {
          summary: 'Indexed clips whose id or title contains a text',
          parameters: [
            { name: 'q', in: 'query', description: 'the text (case-insensitive); empty: all clips', schema: { type: 'string' } },
            { name: 'limit', in: 'query', description: 'how many to list', schema: { type: 'integer', minimum: 1, maximum: 200, default: 20 } },
          ],
          responses: {
            200: {
              description: 'how many match, and the first `limit` of them in index order',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      total: { type: 'integer' },
                      clips: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, url: { type: 'string' }, ...CLIP_FIELDS } } },
                    },
                  },
                },
              },
            },
            400: ERROR,
          },
        },
      },
      '/clips/{id}/audio': {
        get: {
          summary: "An indexed clip's audio",
          description: 'The crawled audio file when the crawl left it, else the wav that was indexed. Range requests (bytes=START-END) answer 206, so that players can seek.',
          parameters: [clipId, { name: 'Range', in: 'header', schema: { type: 'string', example: 'bytes=0-1023' } }],
          responses: {
            200: { description: 'the whole file', content: { 'audio/*': { schema: { type: 'string', format: 'binary' } } } },
            206: { description: 'the range asked for (Content-Range says which)' },
            404: NOT_FOUND,
            416: { description: 'the range starts past the end' },
          },
        },
      },
      '/feedback': {
        post: {
          summary: 'A thumbs up or down for a result of a query',
          description: 'Appended as one JSON line, with the time, to the feedback file (serve --feedback).',
          requestBody: jsonBody(
            {
              type: 'object',
              required: ['query', 'result', 'vote'],
              properties: {
                query: { type: 'object', description: '{"clip": id} for a search from a clip; {"upload": file name, "sha256": X-Boiler-Upload-Sha256} for an upload' },
                result: { type: 'string', description: 'the id of the result voted on' },
                vote: { type: 'string', enum: ['up', 'down'] },
                rank: { type: 'integer', minimum: 1 },
                distance: { type: 'number' },
              },
            },
            { query: { clip: facts.exampleClip }, result: facts.exampleClip, vote: 'up', rank: 1, distance: 0 },
          ),
          responses: { 201: { description: 'recorded: `{"recorded": line}`' }, 400: ERROR },
        },
        get: {
          summary: 'Every vote so far, as JSON lines',
          responses: { 200: { description: 'one JSON object a line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } } },
        },
      },
      '/map': {
        get: {
          summary: 'Every clip as a point on the plane (UMAP of the embeddings), with its label',
          description: 'Computed on first use and kept in the model directory (map.json); until then the answer is 202 with Retry-After.',
          responses: {
            200: { description: '`{count, ids, titles, x, y, label, labels, labelSource}`: x and y in [0, 1], label an index into labels or −1' },
            202: { description: 'still computing', content: { 'application/json': { schema: { type: 'object', properties: { detail: { type: 'string' } } } } } },
          },
        },
      },
      '/training/metrics': {
        get: {
          summary: "The training run's metrics.jsonl beside the checkpoint, step by step",
          responses: { 200: { description: '`{checkpoint, rows}`, at most 2,000 rows spread evenly' }, 404: NOT_FOUND },
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
                  example: { status: 'ok', encoder: facts.encoder, dimension: facts.dimension, clips: facts.clips, audio: true, training: true },
                },
              },
            },
          },
        },
      },
    },
  };
}
