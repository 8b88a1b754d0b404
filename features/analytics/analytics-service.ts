import type { Logger } from 'pino';
import { compareByteOrder, type Edge, type GraphStore, type JsonObject, type VertexLabel } from '../../graph-schema';
import { AnalyticsError } from './analytics-error';
import { type Csr, toCsr } from './csr';
import { loadProjection, refreshProjectedVertices } from './load-projection';
import { BASKET_PATHS, CUSTOMER_ITEM_PATHS, metapathGraph } from './metapath-graph';
import { loadNeighborhood, type Neighborhood } from './neighborhood';
import type { ProjectionGraph } from './projection-graph';
import { CUSTOMER_GRAPH, type ProjectionSpec, validateProjectionSpec } from './projection-spec';
import {
  type AlgorithmKind,
  type AlgorithmOutput,
  type AlgorithmParams,
  type CentralityKind,
  type CommunityKind,
  runAlgorithm,
} from './run-algorithm';
import { runInWorker, type WorkerRun } from './run-in-worker';
import { shortestPathCsr, transposeCsr } from './shortest-path';
import { type SimilarityMeasure, similarCsr } from './similarity';
import { type TraitWrite, writeTraits } from './write-traits';

export interface AnalyticsServiceOptions {
  readonly store: GraphStore;
  readonly projection?: ProjectionSpec;
  /** Labels whose vertices receive result traits (default Customer). */
  readonly traitLabels?: readonly VertexLabel[];
  /** Write results back as traits (default true). */
  readonly writeTraits?: boolean;
  /** Projections with at most this many nodes run on the calling thread; larger ones on a worker (default 20,000). */
  readonly inlineMaxNodes?: number;
  /** Betweenness is exact up to this many nodes, sampled above (default 2,000). */
  readonly exactBetweennessMaxNodes?: number;
  /** Pivots of sampled betweenness (default 256; error measured in docs/benchmarks.md). */
  readonly betweennessSamples?: number;
  /** Re-read the projection and re-run `scheduledKinds` this often; 0 (default) = on demand only. */
  readonly refreshIntervalMs?: number;
  readonly scheduledKinds?: readonly AlgorithmKind[];
  /** Called whenever a run's status or progress changes (progress bars, metrics). */
  readonly onRunUpdate?: (run: Readonly<AnalyticsRun>) => void;
  readonly now?: () => number;
  readonly logger?: Logger;
}

export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface AnalyticsRun {
  readonly runId: string;
  readonly kind: AlgorithmKind;
  readonly projection: string;
  status: RunStatus;
  progress: number;
  projectionVersion: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  traitsWritten: number | null;
  details: Record<string, number | boolean>;
}

export interface ProjectionSnapshot {
  readonly spec: ProjectionSpec;
  readonly graph: ProjectionGraph;
  readonly csr: Csr;
  /** Grows by one at each full or incremental refresh. */
  readonly version: number;
  readonly builtAt: number;
}

export interface CentralityEntry {
  readonly id: string;
  readonly label: VertexLabel;
  readonly score: number;
  /** 1-based among the vertices of the asked label. */
  readonly rank: number;
}

export interface Community {
  /**
   * The smallest member id (UTF-8 byte order) among the members of the asked label, else
   * among the trait labels' members (customers), else among all members: stable while the
   * membership is, and a customer community is named by a customer, never by the account
   * or device the algorithm happened to label it with.
   */
  readonly id: string;
  readonly size: number;
  readonly members: readonly string[];
}

export interface SimilarEntry {
  readonly id: string;
  readonly score: number;
  readonly shared: number;
}

export interface AnalyticsService {
  /** The current projection, loaded on first use and brought up to date with touched vertices. */
  projection(): Promise<ProjectionSnapshot>;
  /** Re-reads the whole projection from the store. */
  refresh(): Promise<ProjectionSnapshot>;
  /** Feed for the ingest pipeline's `onApplied`: the next read refreshes just these vertices. */
  onApplied(applied: { readonly vertexIds: ReadonlySet<string> | readonly string[] }): void;
  /** Queues a run on the current projection; resolves when it has finished (and written its traits). */
  run(kind: AlgorithmKind, params?: AlgorithmParams): Promise<AnalyticsRun>;
  runs(): readonly AnalyticsRun[];
  /** The latest succeeded run of a kind and its result; runs one first if there is none. */
  centrality(
    kind: CentralityKind,
    options: { label?: VertexLabel; first: number },
  ): Promise<{ run: AnalyticsRun; entries: CentralityEntry[] }>;
  communities(
    kind: CommunityKind,
    options: { first: number; membersPerCommunity?: number; label?: VertexLabel },
  ): Promise<{ run: AnalyticsRun; count: number; communities: Community[] }>;
  shortestPath(from: string, to: string, maxDepth: number): Promise<{ nodes: string[]; edges: Edge[] } | null>;
  similarCustomers(id: string, options: { first: number; measure?: SimilarityMeasure }): Promise<SimilarEntry[]>;
  productsBoughtTogether(
    productId: string,
    options: { first: number; measure?: SimilarityMeasure },
  ): Promise<SimilarEntry[]>;
  neighborhood(id: string, options: { depth: number; maxNodes: number }): Promise<Neighborhood>;
  /** Resolves when no run is queued or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Completed {
  readonly run: AnalyticsRun;
  readonly ids: readonly string[];
  readonly labels: readonly VertexLabel[];
  readonly output: AlgorithmOutput;
}

interface Derived {
  readonly version: number;
  readonly customers: Csr;
  readonly baskets: Csr;
}

/** The Customer properties analytics runs write (segments may use them). */
export const ANALYTICS_TRAITS: Record<AlgorithmKind, string> = {
  DEGREE: 'degree',
  PAGERANK: 'pagerank',
  BETWEENNESS: 'betweenness',
  LOUVAIN: 'community',
  COMPONENTS: 'component',
};

/** Runs kept for `runs` (the newest). */
const RUN_HISTORY = 50;

export function createAnalyticsService(options: AnalyticsServiceOptions): AnalyticsService {
  const { store } = options;
  const spec = options.projection ?? CUSTOMER_GRAPH;
  validateProjectionSpec(spec);
  const traitLabels = options.traitLabels ?? ['Customer'];
  const inlineMaxNodes = options.inlineMaxNodes ?? 20_000;
  const exactBetweennessMaxNodes = options.exactBetweennessMaxNodes ?? 2_000;
  const betweennessSamples = options.betweennessSamples ?? 256;
  const now = options.now ?? Date.now;
  const logger = options.logger?.child({ component: 'analytics' });

  let snapshot: ProjectionSnapshot | null = null;
  let loading: Promise<ProjectionSnapshot> | null = null;
  let version = 0;
  const touched = new Set<string>();
  let derived: Derived | null = null;
  const history: AnalyticsRun[] = [];
  const latest = new Map<AlgorithmKind, Completed>();
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;
  let activeWorker: WorkerRun | null = null;
  let closed = false;
  let runSeq = 0;
  let timer: NodeJS.Timeout | null = null;

  const assertOpen = () => {
    if (closed) throw new AnalyticsError('SERVICE_CLOSED', 'analytics service is closed');
  };

  function publish(graph: ProjectionGraph): ProjectionSnapshot {
    version++;
    snapshot = { spec, graph, csr: toCsr(graph), version, builtAt: now() };
    return snapshot;
  }

  // Loads and refreshes are serialized: an incremental refresh must not interleave with a full load.
  function exclusive(work: () => Promise<ProjectionSnapshot>): Promise<ProjectionSnapshot> {
    const next = (loading ?? Promise.resolve(null as unknown as ProjectionSnapshot)).catch(() => null).then(work);
    loading = next;
    void next.finally(() => {
      if (loading === next) loading = null;
    });
    return next;
  }

  async function projection(): Promise<ProjectionSnapshot> {
    assertOpen();
    if (loading) await loading.catch(() => null);
    if (snapshot && touched.size === 0) return snapshot;
    return exclusive(async () => {
      if (!snapshot) return publish(await loadProjection(store, spec));
      if (touched.size === 0) return snapshot;
      const ids = [...touched];
      touched.clear();
      await refreshProjectedVertices(snapshot.graph, store, spec, ids);
      return publish(snapshot.graph);
    });
  }

  function refresh(): Promise<ProjectionSnapshot> {
    assertOpen();
    return exclusive(async () => {
      touched.clear();
      return publish(await loadProjection(store, spec));
    });
  }

  function paramsFor(kind: AlgorithmKind, nodes: number, params: AlgorithmParams): AlgorithmParams {
    if (kind === 'BETWEENNESS' && params.samples === undefined && nodes > exactBetweennessMaxNodes) {
      return { ...params, samples: betweennessSamples };
    }
    return params;
  }

  function traitWrites(c: Completed): TraitWrite[] {
    const name = ANALYTICS_TRAITS[c.output.kind];
    const writes: TraitWrite[] = [];
    if ('scores' in c.output) {
      const scores = c.output.scores;
      const ranked = new Map<VertexLabel, number[]>();
      for (let i = 0; i < c.ids.length; i++) {
        if (!traitLabels.includes(c.labels[i])) continue;
        const list = ranked.get(c.labels[i]) ?? [];
        list.push(i);
        ranked.set(c.labels[i], list);
      }
      for (const list of ranked.values()) {
        list.sort((a, b) => scores[b] - scores[a] || a - b);
        list.forEach((i, r) => {
          const props: JsonObject = { [name]: scores[i] };
          if (c.output.kind === 'PAGERANK') props.influenceRank = r + 1;
          writes.push({ id: c.ids[i], props });
        });
      }
    } else {
      const communities = c.output.communities;
      const named = communityNames(c, traitLabels);
      for (let i = 0; i < c.ids.length; i++) {
        if (traitLabels.includes(c.labels[i]))
          writes.push({ id: c.ids[i], props: { [name]: named.get(communities[i]) as string } });
      }
    }
    return writes;
  }

  /**
   * Each community's name: its smallest member id among the preferred labels, else its
   * smallest member id. The algorithms number communities by an arbitrary member.
   */
  function communityNames(c: Completed, preferred: readonly VertexLabel[]): Map<number, string> {
    if (!('communities' in c.output)) throw new TypeError(`communityNames: ${c.output.kind} gave no communities`);
    const best = new Map<number, { id: string; preferred: boolean }>();
    c.output.communities.forEach((community, i) => {
      const id = c.ids[i];
      const isPreferred = preferred.includes(c.labels[i]);
      const current = best.get(community);
      if (
        !current ||
        (isPreferred && !current.preferred) ||
        (isPreferred === current.preferred && compareByteOrder(id, current.id) < 0)
      ) {
        best.set(community, { id, preferred: isPreferred });
      }
    });
    return new Map([...best].map(([community, b]) => [community, b.id]));
  }

  async function execute(run: AnalyticsRun, params: AlgorithmParams): Promise<void> {
    const snap = await projection();
    const csr = snap.csr;
    run.status = 'RUNNING';
    run.startedAt = now();
    run.projectionVersion = snap.version;
    const request = { kind: run.kind, params: paramsFor(run.kind, csr.ids.length, params) };
    options.onRunUpdate?.(run);
    const onProgress = (fraction: number) => {
      run.progress = Math.min(1, fraction);
      options.onRunUpdate?.(run);
    };
    let output: AlgorithmOutput;
    if (csr.ids.length <= inlineMaxNodes) output = runAlgorithm(csr, request, onProgress);
    else {
      activeWorker = runInWorker(csr, request, onProgress);
      try {
        output = await activeWorker.result;
      } finally {
        activeWorker = null;
      }
    }
    const completed: Completed = { run, ids: csr.ids, labels: csr.labels, output };
    run.details = output.details;
    if (options.writeTraits !== false && !closed) {
      const { written } = await writeTraits(store, run.runId, traitWrites(completed));
      run.traitsWritten = written;
    }
    run.progress = 1;
    run.finishedAt = now();
    run.status = 'SUCCEEDED';
    latest.set(run.kind, completed);
    options.onRunUpdate?.(run);
  }

  function run(kind: AlgorithmKind, params: AlgorithmParams = {}): Promise<AnalyticsRun> {
    assertOpen();
    const record: AnalyticsRun = {
      // Sortable by creation time, so trait versions of a later run win on unchanged vertices (write-traits.ts).
      runId: `${now().toString(36).padStart(9, '0')}-${String(++runSeq).padStart(6, '0')}`,
      kind,
      projection: spec.name,
      status: 'QUEUED',
      progress: 0,
      projectionVersion: null,
      startedAt: null,
      finishedAt: null,
      error: null,
      traitsWritten: null,
      details: {},
    };
    history.unshift(record);
    history.length = Math.min(history.length, RUN_HISTORY);
    pending++;
    // Runs are serialized: on two cores, two heavy runs at once would only slow both and the API.
    const done = queue.then(async () => {
      try {
        if (closed) throw new AnalyticsError('SERVICE_CLOSED', 'analytics service closed before the run started');
        await execute(record, params);
      } catch (e) {
        record.status = 'FAILED';
        record.finishedAt = now();
        record.error = (e as Error).message;
        options.onRunUpdate?.(record);
        logger?.warn({ err: e, runId: record.runId, kind }, 'analytics run failed');
        throw e;
      } finally {
        pending--;
      }
      return record;
    });
    queue = done.catch(() => undefined);
    return done;
  }

  /** The latest result; first use runs it; a result older than the projection is served while a fresh one runs. */
  async function resultOf(kind: AlgorithmKind): Promise<Completed> {
    const snap = await projection();
    const have = latest.get(kind);
    if (!have) {
      await run(kind);
      return latest.get(kind) as Completed;
    }
    const queued = history.some((r) => r.kind === kind && (r.status === 'QUEUED' || r.status === 'RUNNING'));
    if (have.run.projectionVersion !== snap.version && !queued) {
      run(kind).catch(() => undefined);
    }
    return have;
  }

  async function derivedGraphs(): Promise<Derived> {
    const snap = await projection();
    if (derived?.version === snap.version) return derived;
    derived = {
      version: snap.version,
      customers: toCsr(metapathGraph(snap.graph, 'Customer', CUSTOMER_ITEM_PATHS)),
      baskets: toCsr(metapathGraph(snap.graph, 'Order', BASKET_PATHS)),
    };
    return derived;
  }

  function requireNode(csr: Csr, id: string, what: string): number {
    const i = csr.index.get(id);
    if (i === undefined) throw new AnalyticsError('UNKNOWN_VERTEX', `${what}: ${id} is not in projection ${spec.name}`);
    return i;
  }

  if (options.refreshIntervalMs && options.refreshIntervalMs > 0) {
    const kinds = options.scheduledKinds ?? ['PAGERANK', 'LOUVAIN'];
    timer = setInterval(() => {
      if (pending > 0 || closed) return;
      refresh()
        .then(() => Promise.all(kinds.map((k) => run(k))))
        .catch((e) => logger?.warn({ err: e }, 'scheduled analytics refresh failed'));
    }, options.refreshIntervalMs);
    timer.unref();
  }

  return {
    projection,
    refresh,
    onApplied(applied) {
      if (closed) return;
      for (const id of applied.vertexIds) touched.add(id);
    },
    run,
    runs: () => history,

    async centrality(kind, { label = 'Customer', first }) {
      const c = await resultOf(kind);
      if (!('scores' in c.output)) throw new TypeError(`centrality: ${kind} gave no scores`);
      const scores = c.output.scores;
      const picked: number[] = [];
      for (let i = 0; i < c.ids.length; i++) if (c.labels[i] === label) picked.push(i);
      picked.sort((a, b) => scores[b] - scores[a] || a - b);
      const entries = picked
        .slice(0, first)
        .map((i, r) => ({ id: c.ids[i], label: c.labels[i], score: scores[i], rank: r + 1 }));
      return { run: c.run, entries };
    },

    async communities(kind, { first, membersPerCommunity = 20, label }) {
      const c = await resultOf(kind);
      if (!('communities' in c.output)) throw new TypeError(`communities: ${kind} gave no communities`);
      const groups = new Map<number, number[]>();
      c.output.communities.forEach((name, i) => {
        if (label && c.labels[i] !== label) return;
        const g = groups.get(name);
        if (g) g.push(i);
        else groups.set(name, [i]);
      });
      const named = communityNames(c, label ? [label] : traitLabels);
      const sorted = [...groups].sort(
        (a, b) => b[1].length - a[1].length || compareByteOrder(named.get(a[0]) as string, named.get(b[0]) as string),
      );
      return {
        run: c.run,
        count: groups.size,
        communities: sorted.slice(0, first).map(([name, members]) => ({
          id: named.get(name) as string,
          size: members.length,
          members: members.slice(0, membersPerCommunity).map((i) => c.ids[i]),
        })),
      };
    },

    async shortestPath(from, to, maxDepth) {
      const snap = await projection();
      const s = requireNode(snap.csr, from, 'shortestPath');
      const t = requireNode(snap.csr, to, 'shortestPath');
      const path = shortestPathCsr(snap.csr, transposeCsr(snap.csr), s, t, maxDepth);
      if (!path) return null;
      const nodes = path.map((i) => snap.csr.ids[i]);
      // Edges are read from the store so callers get their labels and properties as they are now.
      const edges: Edge[] = [];
      for (let k = 0; k + 1 < nodes.length; k++) {
        const page = await store.neighbors([
          {
            id: nodes[k],
            direction: 'both',
            edgeLabels: spec.edgeLabels,
            vertexLabels: spec.vertexLabels,
            first: 1000,
            after: null,
          },
        ]);
        const hit = page[0].items.find((n) => n.vertex.id === nodes[k + 1]);
        if (hit) edges.push(hit.edge);
      }
      return { nodes, edges };
    },

    async similarCustomers(id, { first, measure }) {
      const { customers } = await derivedGraphs();
      const node = requireNode(customers, id, 'similarCustomers');
      return similarCsr(customers, node, { first, measure }).map((s) => ({
        id: customers.ids[s.node],
        score: s.score,
        shared: s.shared,
      }));
    },

    async productsBoughtTogether(productId, { first, measure }) {
      const { baskets } = await derivedGraphs();
      const i = baskets.index.get(productId);
      // A product in no order yet has no basket companions: an empty answer, not an error.
      if (i === undefined) {
        await requireKnown(productId);
        return [];
      }
      return similarCsr(baskets, i, { first, measure }).map((s) => ({
        id: baskets.ids[s.node],
        score: s.score,
        shared: s.shared,
      }));
    },

    neighborhood: (id, { depth, maxNodes }) => {
      assertOpen();
      return loadNeighborhood(store, id, {
        depth,
        maxNodes,
        edgeLabels: spec.edgeLabels,
        vertexLabels: spec.vertexLabels,
      });
    },

    idle: () => queue.then(() => (pending > 0 ? queue : undefined)).then(() => undefined),

    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await activeWorker?.cancel();
      await queue;
    },
  };

  async function requireKnown(id: string): Promise<void> {
    const [v] = await store.getVertices([id]);
    if (!v) throw new AnalyticsError('UNKNOWN_VERTEX', `productsBoughtTogether: no vertex ${id}`);
  }
}
