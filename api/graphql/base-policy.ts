/**
 * Who may use the base schema (type-defs.ts), what is audited, and how its
 * values are masked for principals without a PII role. Enforced centrally by
 * api/auth secureSchema; every root field must have an entry.
 */

import type { JsonObject, Vertex } from '../../graph-schema';
import type { AuditSpec, ModulePolicy } from '../auth/field-policy';
import { maskIdentifier, maskProps, maskVertexId } from '../auth/pii-mask';

/** The id a resolved 360° view is about (the identity module's profile id when there is one). */
function viewId(result: unknown): string | null {
  const view = result as { root?: { id?: unknown }; profile?: { id?: unknown } } | null | undefined;
  const id = view?.profile?.id ?? view?.root?.id;
  return typeof id === 'string' ? maskVertexId(id) : null;
}

/** A 360° view read: who looked at which customer (its id, never the identifier that was typed in). */
export const customerViewAudit: AuditSpec = {
  kind: 'read',
  describe(args, result) {
    const identifier = args.identifier as { type?: unknown } | null | undefined;
    const details: JsonObject = identifier
      ? { by: 'identifier', identifierType: String(identifier.type) }
      : { by: 'id' };
    return { subject: viewId(result), details };
  },
};

function identityType(parent: unknown): string {
  const vertex = (parent as { vertex?: Vertex } | null)?.vertex;
  const type = vertex?.props.type;
  if (typeof type === 'string') return type;
  const key = vertex?.key ?? '';
  return key.slice(0, Math.max(0, key.indexOf(':')));
}

export const basePolicy: ModulePolicy = {
  roles: {
    // Marketers may open a view too, masked: they see segments, counts and shapes, not people.
    'Query.customer': ['agent', 'marketer', 'admin'],
    // Searching by name or email prefix is itself a lookup of personal data.
    'Query.customers': ['agent', 'admin'],
  },
  audit: {
    'Query.customer': customerViewAudit,
    'Query.customers': {
      kind: 'read',
      describe(args, result) {
        const edges = (result as { edges?: { node?: unknown }[] } | null)?.edges ?? [];
        return {
          subject: null,
          details: {
            searched: typeof args.search === 'string' && args.search.trim() !== '',
            returned: edges.map((e) => viewId(e.node)).filter((id): id is string => id !== null),
          },
        };
      },
    },
  },
  masks: {
    'Identity.value': (v, parent) => (typeof v === 'string' ? maskIdentifier(identityType(parent), v) : v),
    // The event's own properties bag is free-form whatever the label: mask by key name and value shape.
    'Event.properties': (v) => maskProps(v, null),
    // Cursors hold store positions (ids): with opaque ids configured secure-schema encrypts them
    // for principals without PII access whatever this says; without, they pass as they are.
    'PageInfo.endCursor': null,
    // A segment's id is configuration its marketer chose, not customer data.
    'Segment.id': null,
  },
};
