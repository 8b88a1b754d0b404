/**
 * Coalescing: many mutations to the same element become one write, merged with
 * the same rule the stores use, so a batch is as small as it can be and a store
 * sees each element once per round trip.
 */
import type { EdgeLabel, VertexLabel } from './model';
import {
  type ElementState,
  edgeId,
  type Mutation,
  mergeStates,
  stateOfProps,
  stateOfTombstone,
  stateOfUpsert,
  type VertexRef,
  vertexId,
} from './mutations';

export interface VertexWrite {
  readonly id: string;
  readonly label: VertexLabel;
  readonly key: string;
  readonly state: ElementState;
}

export interface EdgeWrite {
  readonly id: string;
  readonly label: EdgeLabel;
  readonly from: VertexRef;
  readonly to: VertexRef;
  readonly state: ElementState;
}

/** What a store applies atomically: vertices first, then edges (whose endpoints are in `vertices`). */
export interface GraphBatch {
  readonly vertices: readonly VertexWrite[];
  readonly edges: readonly EdgeWrite[];
}

export class BatchBuilder {
  private readonly vertices = new Map<string, VertexWrite>();
  private readonly edges = new Map<string, EdgeWrite>();
  private mutationCount = 0;

  /** Mutations added so far (before coalescing). */
  get size(): number {
    return this.mutationCount;
  }

  add(mutation: Mutation): void {
    this.mutationCount++;
    switch (mutation.op) {
      case 'upsertVertex':
        this.mergeVertex(mutation, stateOfUpsert(mutation.props, mutation.version));
        return;
      case 'deleteVertex':
        this.mergeVertex(mutation, stateOfTombstone(mutation.version));
        return;
      case 'setVertexProps':
        this.mergeVertex(mutation, stateOfProps(mutation.props, mutation.version));
        return;
      case 'upsertEdge':
        // An edge implies its endpoints exist as of the edge's version (mergeV before mergeE).
        this.mergeVertex(mutation.from, stateOfUpsert({}, mutation.version));
        this.mergeVertex(mutation.to, stateOfUpsert({}, mutation.version));
        this.mergeEdge(mutation.label, mutation.from, mutation.to, stateOfUpsert(mutation.props, mutation.version));
        return;
      case 'deleteEdge':
        this.mergeEdge(mutation.label, mutation.from, mutation.to, stateOfTombstone(mutation.version));
        return;
      default: {
        const never: never = mutation;
        throw new TypeError(`BatchBuilder.add: unknown mutation ${JSON.stringify(never)}`);
      }
    }
  }

  addAll(mutations: Iterable<Mutation>): void {
    for (const m of mutations) this.add(m);
  }

  build(): GraphBatch {
    return { vertices: [...this.vertices.values()], edges: [...this.edges.values()] };
  }

  private mergeVertex(ref: VertexRef, state: ElementState): void {
    const id = vertexId(ref);
    const current = this.vertices.get(id);
    this.vertices.set(id, {
      id,
      label: ref.label,
      key: ref.key,
      state: current ? mergeStates(current.state, state) : state,
    });
  }

  private mergeEdge(label: EdgeLabel, from: VertexRef, to: VertexRef, state: ElementState): void {
    const id = edgeId(label, from, to);
    const current = this.edges.get(id);
    this.edges.set(id, {
      id,
      label,
      from: { label: from.label, key: from.key },
      to: { label: to.label, key: to.key },
      state: current ? mergeStates(current.state, state) : state,
    });
  }
}

export function coalesce(mutations: Iterable<Mutation>): GraphBatch {
  const b = new BatchBuilder();
  b.addAll(mutations);
  return b.build();
}
