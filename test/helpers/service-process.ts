import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { freePort } from './free-port.ts';

export interface ServiceProcessOptions {
  /** Named in error messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where the service listens, e.g. `http://127.0.0.1:9093`; it is ready when `/-/ready` answers 200. */
  readonly url: string;
  readonly readyTimeoutMs: number;
  /** How long SIGTERM may take before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** Runs after the process has exited (e.g. removes temporary directories). */
  readonly cleanup?: () => Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;
const POLL_MS = 25;
const PORT_ATTEMPTS = 5;
const PORT_TAKEN = /address already in use|EADDRINUSE/i;
const TCP_LISTEN = '0A';

/** Children still running, killed if this process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A child process serving HTTP: started, awaited until ready, and stopped within bounds. */
export class ServiceProcess {
  readonly url: string;
  readonly #options: ServiceProcessOptions;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #output = '';
  #stopping: Promise<void> | undefined;

  private constructor(options: ServiceProcessOptions) {
    this.#options = options;
    this.url = options.url;
    this.#child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#exited = once(this.#child, 'exit').then(() => undefined);
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.#child.on('error', (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
    running.add(this.#child);
  }

  /** Spawns the service and resolves once `/-/ready` answers 200; on failure it is stopped and the error names its output. */
  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const service = new ServiceProcess(options);
    try {
      await service.#waitReady();
      return service;
    } catch (error) {
      await service.stop();
      throw new Error(`${options.name} did not become ready: ${(error as Error).message}\n--- output ---\n${service.output()}`);
    }
  }

  /**
   * Starts a service on a port the OS just handed out. The port is free again until the service
   * binds it, so another socket may take it meanwhile: then it is started again on a new port.
   */
  static async startOnFreePort(options: (port: number) => Promise<ServiceProcessOptions>): Promise<ServiceProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ServiceProcess.start(await options(await freePort()));
      } catch (error) {
        if (attempt === PORT_ATTEMPTS || !PORT_TAKEN.test((error as Error).message)) throw error;
      }
    }
  }

  /** The last 64 KiB of the process's stdout and stderr. */
  output(): string {
    return this.#output;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The exit code once the process has exited (null before, or when a signal ended it). */
  get exitCode(): number | null {
    return this.#child.exitCode;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), this.#options.stopTimeoutMs);
      await this.#exited;
      clearTimeout(timer);
    }
    running.delete(this.#child);
    await this.#options.cleanup?.();
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + this.#options.readyTimeoutMs;
    let exited = false;
    void this.#exited.then(() => (exited = true));
    while (!exited) {
      if ((await this.#isReady()) && (await this.#ownsListener())) return;
      if (Date.now() > deadline) throw new Error(`no 200 from ${this.url}/-/ready within ${this.#options.readyTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`exited with code ${this.#child.exitCode} signal ${this.#child.signalCode}`);
  }

  /**
   * Whether the socket listening on the service's port is this child's (Linux /proc; assumed
   * elsewhere). Without it a child that failed to bind a port another service took in the
   * meantime would look ready, and its traffic would go to that other service.
   */
  async #ownsListener(): Promise<boolean> {
    const { hostname, port } = new URL(this.url);
    if (hostname !== '127.0.0.1') return true;
    let table: string;
    try {
      table = await readFile('/proc/net/tcp', 'utf8');
    } catch {
      return true;
    }
    const local = `0100007F:${Number(port).toString(16).toUpperCase().padStart(4, '0')}`;
    const listening = table
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1] === local && fields[3] === TCP_LISTEN)
      .map((fields) => `socket:[${fields[9]}]`);
    const fdDir = `/proc/${this.#child.pid}/fd`;
    const fds = await readdir(fdDir).catch(() => []);
    const links = await Promise.all(fds.map((fd) => readlink(`${fdDir}/${fd}`).catch(() => '')));
    return links.some((link) => listening.includes(link));
  }

  async #isReady(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }
}
