/**
 * One body, source to destination, with backpressure (Readable.pipe pauses the source whenever the
 * destination's buffer is full) and one settled result. Not stream.pipeline: on Node 20 it creates and
 * aborts an AbortController per call (a DOMException each time), measured at ~4% of proxy CPU.
 * Any failure destroys both sides, so neither a client nor an upstream is left waiting.
 */
import type { Readable, Writable } from 'node:stream';

/** The client's side closed before the body was complete: the client left, the upstream did not fail. */
export class ClientGoneError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor() {
    super('the client closed the connection before the body was complete');
    this.name = 'ClientGoneError';
  }
}

class PrematureCloseError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor(side: string) {
    super(`${side} closed before the body was complete`);
    this.name = 'PrematureCloseError';
  }
}

export function relay(source: Readable, destination: Writable, clientSide: 'source' | 'destination'): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      source.off('error', settle);
      source.off('close', onSourceClose);
      destination.off('error', settle);
      destination.off('close', onDestinationClose);
      destination.off('finish', onFinish);
      if (error === null) return resolve();
      source.unpipe(destination);
      source.destroy();
      destination.destroy();
      reject(error);
    };
    const closedEarly = (side: 'source' | 'destination'): Error =>
      side === clientSide ? new ClientGoneError() : new PrematureCloseError(`the upstream ${side}`);
    const onSourceClose = (): void => {
      if (!source.readableEnded) settle(closedEarly('source'));
    };
    const onDestinationClose = (): void => {
      if (!destination.writableFinished) settle(closedEarly('destination'));
    };
    const onFinish = (): void => settle(null);
    source.on('error', settle);
    source.on('close', onSourceClose);
    destination.on('error', settle);
    destination.on('close', onDestinationClose);
    destination.on('finish', onFinish);
    source.pipe(destination);
  });
}
