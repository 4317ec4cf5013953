/** An answer other than 200, with the message the client gets as `{"detail": message}` (FastAPI's shape, as the original). */
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}
