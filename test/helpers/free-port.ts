import { createServer } from 'node:net';

/** Ports handed out by this process: never handed out twice, so two services never race for one. */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that the OS just assigned and that is free again now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await osAssignedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function osAssignedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    // A client still reconnecting to a port some test let go may get in while this listens.
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.destroy();
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}
