import type { Condition, EdgeTemplate, VertexTemplate } from '../mapping';
import type { Normalizer } from '../normalize';

/**
 * An Identity vertex keyed `<type>:<normalized value>`: the same identifier
 * from any source lands on the same vertex.
 */
export function identity(as: string, type: string, path: string, normalize: Normalizer = 'string'): VertexTemplate {
  const value = { path, as: normalize } as const;
  return {
    as,
    label: 'Identity',
    key: [{ const: type }, value],
    props: { type: { const: type }, value },
  };
}

/** An evidence edge from a profile to one of its identifiers: which rule, which event, when. */
export function evidence(from: string, to: string, rule: string, sourceIdPath: string): EdgeTemplate {
  return {
    label: 'HAS_IDENTITY',
    from,
    to,
    props: { rule: { const: rule }, sourceId: sourceIdPath, at: 'ts' },
  };
}

/**
 * Evidence between two identifiers when no profile key (userId, CRM id) is in
 * the event — an anonymous visitor leaving an email — so the identity resolver
 * can still join them, and later join both to the customer who logs in.
 */
export function sameAs(from: string, to: string, rule: string, sourceIdPath: string, when?: Condition): EdgeTemplate {
  return {
    label: 'SAME_AS',
    from,
    to,
    props: { rule: { const: rule }, sourceId: sourceIdPath, at: 'ts' },
    ...(when ? { when } : {}),
  };
}
