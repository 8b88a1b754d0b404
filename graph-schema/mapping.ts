/**
 * Declarative event → mutation templates. A mapping says which vertices and
 * edges an event (or a CDC row) stands for; `evaluateTemplate` turns it into
 * versioned mutations. Adding an event type or a CDC table is a new template,
 * not pipeline code.
 *
 * Paths are dotted (`traits.email`, `row.customer_id`, `item.sku`) and read
 * own properties only. A vertex whose key cannot be computed (missing value)
 * is skipped, and so is every edge that names it — an event without
 * `context.device.id` simply has no Device.
 */
import { SchemaError } from './errors';
import type { JsonObject, JsonValue } from './json';
import { isPlainObject } from './json';
import type { EdgeLabel, VertexLabel } from './model';
import type { Mutation, Version, VertexRef } from './mutations';
import { type Normalizer, normalizeValue } from './normalize';

export type ValueSpec = string | { readonly path: string; readonly as?: Normalizer } | { readonly const: JsonValue };

export interface Condition {
  /** All these paths must hold a value (not undefined/null/''). */
  readonly present?: readonly string[];
  /** All these paths must be absent. */
  readonly absent?: readonly string[];
}

export interface VertexTemplate {
  /** Name edges use to refer to this vertex. */
  readonly as: string;
  readonly label: VertexLabel;
  /** Key parts, normalized and joined with ':'. */
  readonly key: ValueSpec | readonly ValueSpec[];
  readonly props?: Readonly<Record<string, ValueSpec>>;
  /** Copy every entry of the object at this path as a property (Segment traits); declared `props` win. */
  readonly spread?: { readonly path: string; readonly prefix?: string };
  /**
   * Owned vertices are this row's own record: a CDC delete tombstones them.
   * Referenced vertices (the customer an order points at) are left alone.
   */
  readonly owned?: boolean;
  /**
   * The row only contributes properties to a vertex it does not own (a stock row → `Product.onHand`):
   * written as `setVertexProps`, never making the vertex exist; a delete unsets them.
   */
  readonly propsOnly?: boolean;
  readonly when?: Condition;
}

/** The first alternative whose key can be computed becomes `as` (e.g. Customer if userId, else the anonymous Identity). */
export interface FirstOfTemplate {
  readonly as: string;
  readonly firstOf: readonly Omit<VertexTemplate, 'as'>[];
}

export interface EdgeTemplate {
  readonly label: EdgeLabel;
  readonly from: string;
  readonly to: string;
  readonly props?: Readonly<Record<string, ValueSpec>>;
  readonly when?: Condition;
}

export interface Template {
  readonly vertices?: readonly (VertexTemplate | FirstOfTemplate)[];
  readonly edges?: readonly EdgeTemplate[];
  /** Repeat a sub-template for each element of an array (order line items); `as` names the element. */
  readonly each?: readonly { readonly path: string; readonly as: string; readonly template: Template }[];
}

export type TemplateMode = 'upsert' | 'delete';

type Scope = Record<string, unknown>;

/**
 * Mapping paths split once: they come from the mapping file (a few hundred at most), and
 * splitting per read was an array and its strings for every field of every event.
 */
const splitPaths = new Map<string, readonly string[]>();
const MAX_SPLIT_PATHS = 10_000;

function pathParts(path: string): readonly string[] {
  let parts = splitPaths.get(path);
  if (parts === undefined) {
    parts = path.split('.');
    // Paths are the mapping's, not the data's; the bound only guards a generator of mappings.
    if (splitPaths.size < MAX_SPLIT_PATHS) splitPaths.set(path, parts);
  }
  return parts;
}

function readPath(scope: Scope, path: string): JsonValue | undefined {
  let current: unknown = scope;
  for (const part of pathParts(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current as JsonValue | undefined;
}

function isBlank(v: JsonValue | undefined): boolean {
  return v === undefined || v === null || v === '';
}

function evalValue(spec: ValueSpec, scope: Scope): JsonValue | undefined {
  if (typeof spec === 'string') return readPath(scope, spec);
  if ('const' in spec) return spec.const;
  const raw = readPath(scope, spec.path);
  return spec.as ? normalizeValue(raw, spec.as) : raw;
}

function holds(cond: Condition | undefined, scope: Scope): boolean {
  if (!cond) return true;
  for (const p of cond.present ?? []) if (isBlank(readPath(scope, p))) return false;
  for (const p of cond.absent ?? []) if (!isBlank(readPath(scope, p))) return false;
  return true;
}

function evalKey(spec: ValueSpec | readonly ValueSpec[], scope: Scope): string | undefined {
  const parts = Array.isArray(spec) ? spec : [spec as ValueSpec];
  const out: string[] = [];
  for (const part of parts) {
    const v = evalValue(part, scope);
    if (isBlank(v)) return undefined;
    if (typeof v === 'object') return undefined; // objects and arrays are never keys
    out.push(String(v));
  }
  return out.join(':');
}

function evalProps(
  props: Readonly<Record<string, ValueSpec>> | undefined,
  spread: VertexTemplate['spread'],
  scope: Scope,
): JsonObject {
  const out: JsonObject = {};
  if (spread) {
    const source = readPath(scope, spread.path);
    if (isPlainObject(source)) {
      for (const name of Object.keys(source)) {
        const value = source[name] as JsonValue | undefined;
        if (value !== undefined) out[`${spread.prefix ?? ''}${name}`] = value;
      }
    }
  }
  for (const name of Object.keys(props ?? {})) {
    const value = evalValue((props as Record<string, ValueSpec>)[name], scope);
    // Absent stays absent (no write); an explicit null in the source is an unset.
    if (value !== undefined) out[name] = value;
  }
  return out;
}

interface Resolved {
  readonly ref: VertexRef;
  readonly owned: boolean;
}

/**
 * Turn a template into mutations. In `delete` mode (a CDC delete, evaluated on
 * the `before` row) owned vertices are tombstoned and every edge is deleted.
 */
export function evaluateTemplate(
  template: Template,
  scope: Scope,
  version: Version,
  mode: TemplateMode,
  inherited: ReadonlyMap<string, Resolved> = new Map(),
  /** Collects `Label:key` of the owned vertices, in template order (the CDC mapper marks them). */
  ownedIds?: string[],
): Mutation[] {
  const resolved = new Map(inherited);
  const out: Mutation[] = [];
  for (const vt of template.vertices ?? []) {
    const candidates: readonly Omit<VertexTemplate, 'as'>[] = 'firstOf' in vt ? vt.firstOf : [vt];
    for (const c of candidates) {
      if (!holds(c.when, scope)) continue;
      const key = evalKey(c.key, scope);
      if (key === undefined) continue;
      const ref: VertexRef = { label: c.label, key };
      resolved.set(vt.as, { ref, owned: c.owned === true });
      if (c.owned) ownedIds?.push(`${c.label}:${key}`);
      if (c.propsOnly) {
        const props = evalProps(c.props, c.spread, scope);
        if (mode === 'delete') for (const name of Object.keys(c.props ?? {})) props[name] = null;
        out.push({ op: 'setVertexProps', label: c.label, key, props, version });
      } else if (mode === 'upsert') {
        out.push({ op: 'upsertVertex', label: c.label, key, props: evalProps(c.props, c.spread, scope), version });
      } else if (c.owned) {
        out.push({ op: 'deleteVertex', label: c.label, key, version });
      }
      break;
    }
  }
  for (const et of template.edges ?? []) {
    if (!holds(et.when, scope)) continue;
    const from = resolved.get(et.from);
    const to = resolved.get(et.to);
    if (!from || !to) continue;
    if (mode === 'upsert') {
      out.push({
        op: 'upsertEdge',
        label: et.label,
        from: from.ref,
        to: to.ref,
        props: evalProps(et.props, undefined, scope),
        version,
      });
    } else {
      out.push({ op: 'deleteEdge', label: et.label, from: from.ref, to: to.ref, version });
    }
  }
  for (const each of template.each ?? []) {
    const list = readPath(scope, each.path);
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      out.push(...evaluateTemplate(each.template, { ...scope, [each.as]: item }, version, mode, resolved, ownedIds));
    }
  }
  return out;
}

/** Fail fast at startup on a template that names an unknown alias, rather than silently writing nothing. */
export function validateTemplate(name: string, template: Template, known: ReadonlySet<string> = new Set()): void {
  const aliases = new Set(known);
  const propsOnly = new Set<string>();
  for (const vt of template.vertices ?? []) {
    aliases.add(vt.as);
    const candidates = 'firstOf' in vt ? vt.firstOf : [vt];
    if (candidates.some((c) => c.propsOnly)) propsOnly.add(vt.as);
  }
  for (const et of template.edges ?? []) {
    for (const end of [et.from, et.to]) {
      if (!aliases.has(end)) throw new SchemaError(`mapping ${name}: edge ${et.label} names unknown vertex '${end}'`);
      // An edge would make the vertex exist, which is exactly what propsOnly promises not to do.
      if (propsOnly.has(end))
        throw new SchemaError(`mapping ${name}: edge ${et.label} names props-only vertex '${end}'`);
    }
  }
  for (const each of template.each ?? []) validateTemplate(`${name}.${each.as}`, each.template, aliases);
}
