/**
 * What a plan knows of a node once the steps before the one it checks have run: their effects,
 * recorded by each step type's `predict`, so that the next steps are checked against the node
 * as it will be (a unit stopped, a file rewritten, a package at its new version, the node
 * cordoned), not only as it is. Typed state, not strings.
 */

export interface UnitProjection {
  active?: boolean;
  enabled?: boolean;
  /** Restarted after its package changed: the new binary runs. */
  restarted?: boolean;
}

/**
 * The predicted state. Steps write it in `predict` (each entry remembers the step that wrote it)
 * and read it in `project` through the accessors, which note whose predictions a check was made
 * on: the plan then says "as `stop-kubelet` leaves it" rather than claiming how the node is now.
 */
export class Projection {
  // Each entry keeps the steps that wrote it, in order (a unit stopped by one, restarted by another).
  private readonly unitMap = new Map<string, UnitProjection & Written>();
  private readonly fileMap = new Map<string, { content: string | null } & Written>();
  private readonly packageMap = new Map<string, { version: string } & Written>();
  private nodeState: NodeProjection & Written = { writers: [] };
  /** Pod sandboxes removed on a CRI socket: all of them, or those outside the host network. */
  private readonly sandboxMap = new Map<string, { all: boolean } & Written>();
  /** Steps that change the node in ways the plan does not model (a command without a guard). */
  readonly unmodeled: string[] = [];
  /** The id of the step being predicted (set by the plan before each `predict`). */
  step = '';
  /** Steps whose predictions were read since the last `startReading`. */
  private readonly readFrom = new Set<string>();

  /** Starts a fresh record of whose predictions are read (before each step's check). */
  startReading(): void {
    this.readFrom.clear();
  }

  /** The steps whose predictions were read since `startReading`. */
  readSteps(): string[] {
    return [...this.readFrom];
  }

  get empty(): boolean {
    return this.unitMap.size === 0 && this.fileMap.size === 0 && this.packageMap.size === 0 && this.sandboxMap.size === 0 && this.nodeState.writers.length === 0;
  }

  private quiet = 0;

  private noteRead<T extends Written>(entry: T | undefined): T | undefined {
    if (entry && this.quiet === 0) for (const w of entry.writers) this.readFrom.add(w);
    return entry;
  }

  private written(before: Written | undefined): string[] {
    return [...(before?.writers ?? []).filter((w) => w !== this.step), this.step];
  }

  /** Reads that are not the step's own check (the node's facts for `when:`): not noted. */
  quietly<T>(read: () => T): T {
    this.quiet++;
    try {
      return read();
    } finally {
      this.quiet--;
    }
  }

  /** `kubelet` or `kubelet.service`. */
  unit(unit: string): UnitProjection | undefined {
    const entry = this.noteRead(this.unitMap.get(fullUnitName(unit)));
    if (!entry) return undefined;
    const { writers: _writers, ...state } = entry;
    return state;
  }

  setUnit(unit: string, change: UnitProjection): void {
    const name = fullUnitName(unit);
    const before = this.unitMap.get(name);
    this.unitMap.set(name, { ...before, ...change, writers: this.written(before) });
  }

  hasFile(path: string): boolean {
    return this.fileMap.has(path);
  }

  /** A file as the plan expects it: what an earlier step writes (null: removed), else `now`. */
  file(path: string, now: string | null): string | null {
    const entry = this.noteRead(this.fileMap.get(path));
    return entry ? entry.content : now;
  }

  setFile(path: string, content: string | null): void {
    this.fileMap.set(path, { content, writers: this.written(this.fileMap.get(path)) });
  }

  /** Files an earlier step writes under `dir` (a path ending in `/`), with their content. */
  filesUnder(dir: string): Array<{ path: string; content: string | null }> {
    return [...this.fileMap.entries()].filter(([path]) => path.startsWith(dir)).map(([path, e]) => ({ path, content: this.noteRead(e)?.content ?? null }));
  }

  /** The version an earlier step installs, and which step. */
  package(name: string): { version: string; by: string } | undefined {
    const entry = this.noteRead(this.packageMap.get(name));
    return entry ? { version: entry.version, by: entry.writers.at(-1) ?? '' } : undefined;
  }

  setPackage(name: string, version: string): void {
    this.packageMap.set(name, { version, writers: this.written(this.packageMap.get(name)) });
  }

  /** Which sandboxes an earlier step removes on `socket`. */
  removedSandboxes(socket: string): { all: boolean } | undefined {
    const entry = this.noteRead(this.sandboxMap.get(socket));
    return entry ? { all: entry.all } : undefined;
  }

  setRemovedSandboxes(socket: string, all: boolean): void {
    const before = this.sandboxMap.get(socket);
    this.sandboxMap.set(socket, { all: all || before?.all === true, writers: this.written(before) });
  }

  /** The node in Kubernetes as the steps before leave it. */
  node(): NodeProjection {
    const { writers: _writers, ...state } = this.noteRead(this.nodeState) ?? this.nodeState;
    return state;
  }

  setNode(change: NodeProjection): void {
    this.nodeState = { ...this.nodeState, ...change, writers: this.written(this.nodeState) };
  }
}

/** The node in Kubernetes as the plan expects it. */
export interface NodeProjection {
  unschedulable?: boolean;
  drained?: boolean;
  /** Who cordoned it: `this run` once a step of the run does; null once it is uncordoned. */
  cordonedBy?: string | null;
}

/** The steps that wrote an entry of the projection. */
interface Written {
  writers: string[];
}

export function emptyProjection(): Projection {
  return new Projection();
}

/** `kubelet` -> `kubelet.service`. */
export function fullUnitName(unit: string): string {
  return /\.[a-z]+$/.test(unit) ? unit : `${unit}.service`;
}

/** The unit a runtime package runs as, for knowing it restarts with its upgrade. */
export const PACKAGE_UNITS: Record<string, string> = {
  containerd: 'containerd.service',
  'cri-o': 'crio.service',
  kubelet: 'kubelet.service',
  'cri-dockerd': 'cri-docker.service',
  'docker-ce': 'docker.service',
};

/** Units a package ships besides its service (a socket unit): they exist once it is installed. */
const PACKAGE_EXTRA_UNITS: Record<string, string[]> = {
  'cri-dockerd': ['cri-docker.socket'],
  'docker-ce': ['docker.socket'],
};

/** The package whose install brings `unit` (full name), if the plan knows one. */
export function packageOfUnit(unit: string): string | undefined {
  const name = fullUnitName(unit);
  return Object.keys(PACKAGE_UNITS).find((p) => PACKAGE_UNITS[p] === name || PACKAGE_EXTRA_UNITS[p]?.includes(name));
}

/** The upstream version of a package version: `1.27.16-1.1` -> `1.27.16`, `2:1.6.20~ds1-1+deb12u3` -> `1.6.20~ds1`. */
export function upstreamVersion(version: string): string {
  return version.replace(/^\d+:/, '').replace(/-[^-]+$/, '');
}

/** The runtime behind a CRI socket: its package, its unit, and the name it answers with. */
export function runtimeOfSocket(socket: string): { package: string; unit: string; name: string } | undefined {
  if (socket.endsWith('containerd.sock')) return { package: 'containerd', unit: 'containerd.service', name: 'containerd' };
  if (socket.endsWith('crio.sock')) return { package: 'cri-o', unit: 'crio.service', name: 'cri-o' };
  if (socket.endsWith('cri-dockerd.sock')) return { package: 'cri-dockerd', unit: 'cri-docker.service', name: 'docker' };
  return undefined;
}
