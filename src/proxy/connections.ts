/**
 * Bookkeeping for graceful shutdown: how many requests are in flight and which tunnel sockets are open
 * (Node's server forgets a socket once it becomes a CONNECT tunnel, so closeAllConnections cannot).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionTracker {
  readonly draining: boolean;
  requestStarted(): () => void;
  tunnelOpened(socket: Socket): void;
  drain(servers: readonly Server[], graceMs: number): Promise<void>;
}

const DRAIN_POLL_MS = 50;

export function trackConnections(): ConnectionTracker {
  let inFlight = 0;
  let draining = false;
  const tunnelSockets = new Set<Socket>();
  return {
    get draining() {
      return draining;
    },
    requestStarted() {
      inFlight++;
      let done = false;
      return () => {
        if (!done) inFlight--;
        done = true;
      };
    },
    tunnelOpened(socket) {
      tunnelSockets.add(socket);
      socket.once('close', () => tunnelSockets.delete(socket));
    },
    async drain(servers, graceMs) {
      draining = true;
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      const deadline = Date.now() + graceMs;
      // Idle keep-alive connections (also those inside tunnels) are closed at once and again as requests
      // finish; active ones get `Connection: close` on their response and end by themselves.
      while (inFlight > 0 && Date.now() < deadline) {
        for (const server of servers) server.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      }
      for (const server of servers) server.closeAllConnections();
      for (const socket of tunnelSockets) socket.destroy();
      await Promise.all(closed);
    },
  };
}
