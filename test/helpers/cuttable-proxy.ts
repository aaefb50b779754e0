import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.ts';

/**
 * A TCP proxy in front of Redis. Cut, it drops the connections it carries and closes every new
 * one at once, which is how a stopped Redis looks to Grouper, while Redis keeps its data as a
 * Redis with persistence does across a restart. It keeps its port while cut: a port it let go
 * could be handed to another test's server, which Grouper would then reconnect to.
 */
export class CuttableProxy {
  readonly port: number;
  readonly #target: number;
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  #cut = false;

  private constructor(server: Server, port: number, target: number) {
    this.#server = server;
    this.port = port;
    this.#target = target;
  }

  static async start(target: number): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server, await freePort(), target);
    server.on('connection', (client) => proxy.#carry(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(proxy.port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  restore(): void {
    this.#cut = false;
  }

  /** Cuts and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #carry(client: Socket): void {
    client.on('error', () => {});
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.#target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}
