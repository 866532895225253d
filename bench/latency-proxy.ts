/**
 * A TCP proxy in front of each node's sshd that holds every chunk for half the round-trip time
 * in each direction (order kept), so an SSH round trip costs `latencyMs` as between racks, and
 * that counts round trips: each time the client speaks again after the node answered.
 *
 * The issue asks for each node in its own network namespace behind a veth pair with `tc netem`;
 * this machine's kernel has no netem qdisc ("Specified qdisc kind is unknown"), so the delay is
 * made here, in user space, per connection. It delays whole TCP segments as they arrive, which is
 * what a one-way delay does; it adds no loss and no bandwidth limit.
 */
import net from 'node:net';

export interface ProxyStats {
  connections: number;
  roundTrips: number;
  bytesUp: number;
  bytesDown: number;
}

export class LatencyProxy {
  readonly stats: ProxyStats = { connections: 0, roundTrips: 0, bytesUp: 0, bytesDown: 0 };
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly latencyMs: number,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.pipe(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  resetStats(): void {
    Object.assign(this.stats, { connections: 0, roundTrips: 0, bytesUp: 0, bytesDown: 0 });
  }

  private pipe(client: net.Socket): void {
    this.stats.connections++;
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let lastDown = false;
    const half = this.latencyMs / 2;
    const forward = (from: net.Socket, to: net.Socket, up: boolean) => {
      from.on('data', (chunk: Buffer) => {
        if (up) {
          this.stats.bytesUp += chunk.length;
          if (lastDown) this.stats.roundTrips++;
          lastDown = false;
        } else {
          this.stats.bytesDown += chunk.length;
          lastDown = true;
        }
        // Timers of equal delay fire in the order they were set: the stream's order is kept.
        if (half > 0) setTimeout(() => to.writable && to.write(chunk), half);
        else to.write(chunk);
      });
      from.on('end', () => (half > 0 ? setTimeout(() => to.end(), half) : to.end()));
    };
    forward(client, upstream, true);
    forward(upstream, client, false);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
