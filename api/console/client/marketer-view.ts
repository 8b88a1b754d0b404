/**
 * Marketer view: build an audience with a form (traits, behaviour in a time
 * window, relationships, device health indicators) or as JSON, preview its
 * size and first members, save it, and watch saved segments' sizes and
 * entered/left changes live (segmentMembershipChanged over graphql-ws).
 * Validation messages are the API's own (BAD_USER_INPUT with definitionPath).
 */
import { describeError, GraphQLRequestError, gql, subscribe } from './api';
import { badge, debounce, fill, h, section, toast } from './dom';
import { customerName, value, when } from './format';

type Definition = Record<string, unknown>;
interface SavedSegment {
  id: string;
  name: string | null;
  size: number;
  definition: Definition | null;
}

const PREVIEW = `query Preview($d: JSON!) {
  previewSegment(definition: $d) { count members(first: 10) { edges { node { id traits health { status } } } } }
}`;
const SAVE = `mutation Save($name: String!, $d: JSON!) { saveSegment(name: $name, definition: $d) { id name size } }`;
const SEGMENTS = `{ segments { id name size definition } }`;
const LIVE = `subscription Membership($id: ID!) {
  segmentMembershipChanged(segmentId: $id) { id customerId entered at }
}`;

type RowKind = 'trait' | 'event' | 'order' | 'health' | 'device' | 'shares';
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'startsWith', 'exists', 'notExists'];

/** A typed form value: numbers as numbers, lists for in/notIn. */
function parseValue(raw: string, op: string): unknown {
  if (op === 'in' || op === 'notIn') return raw.split(',').map((s) => parseValue(s.trim(), 'eq'));
  const t = raw.trim();
  if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

const test = (t: Record<string, unknown>) =>
  `${String(t.name)} ${String(t.op)}${t.value === undefined ? '' : ` ${JSON.stringify(t.value)}`}`;

/** A definition as a marketer reads it: "lifetimeValue gt 1500 and ≥1 Product Viewed in 30d". */
export function describeDefinition(d: unknown): string {
  if (d === null || typeof d !== 'object') return JSON.stringify(d);
  const [kind, v] = Object.entries(d as Record<string, unknown>)[0] ?? ['', null];
  const o = (v ?? {}) as Record<string, unknown>;
  const window = (x: Record<string, unknown>) =>
    `${x.atMost === 0 ? 'no' : `≥${x.atLeast ?? 1}`}${x.atMost !== undefined && x.atMost !== 0 ? ` ≤${x.atMost}` : ''}`;
  switch (kind) {
    case 'and':
    case 'or':
      return (v as unknown[])
        .map((x) =>
          Object.keys(x as object)[0] === (kind === 'and' ? 'or' : 'and')
            ? `(${describeDefinition(x)})`
            : describeDefinition(x),
        )
        .join(` ${kind} `);
    case 'not':
      return `not (${describeDefinition(v)})`;
    case 'trait':
      return test(o);
    case 'event':
      return `${window(o)} ${String(o.name ?? o.type ?? 'events')}${o.within ? ` in ${o.within}` : ''}`;
    case 'order':
      return `${window(o)} ${o.status ? `${o.status} ` : ''}orders${o.within ? ` in ${o.within}` : ''}`;
    case 'health':
      return `a ${String(o.status)} device`;
    case 'device':
      return `a device with ${((o.where as Record<string, unknown>[]) ?? []).map(test).join(', ')}`;
    case 'shares':
      return `shares a ${String(o.via)} with (${describeDefinition(o.with)})`;
    case 'boughtWith':
      return `bought what ${String(o.customer)} bought`;
    case 'segment':
      return `in ${String(v)}`;
    default:
      return JSON.stringify(d);
  }
}

interface Row {
  readonly kind: RowKind;
  readonly element: HTMLElement;
  read(): Definition;
}

function field(labelText: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', null, labelText), control);
}

function opSelect(selected: string): HTMLSelectElement {
  return h(
    'select',
    { 'data-role': 'op' },
    OPS.map((o) => h('option', { value: o, selected: o === selected }, o)),
  );
}

function makeRow(kind: RowKind, onRemove: (row: Row) => void): Row {
  let read: () => Definition;
  let body: HTMLElement[];
  switch (kind) {
    case 'trait': {
      const name = h('input', { value: 'lifetimeValue', list: 'trait-names', 'data-role': 'name', size: 14 });
      const op = opSelect('gt');
      const val = h('input', { value: '1000', 'data-role': 'value', size: 10 });
      body = [field('trait', name), field('is', op), field('value', val)];
      read = () => {
        const t: Definition = { name: name.value.trim(), op: op.value };
        if (op.value !== 'exists' && op.value !== 'notExists') t.value = parseValue(val.value, op.value);
        return { trait: t };
      };
      break;
    }
    case 'event':
    case 'order': {
      const name = h('input', { value: kind === 'event' ? 'Product Viewed' : '', 'data-role': 'name', size: 14 });
      const atLeast = h('input', { type: 'number', value: '1', min: '0', 'data-role': 'atLeast', size: 4 });
      const within = h('input', { value: '30d', 'data-role': 'within', size: 5 });
      body = [
        field(kind === 'event' ? 'event' : 'order status', name),
        field('at least', atLeast),
        field('within', within),
      ];
      read = () => {
        const e: Definition = {};
        if (name.value.trim()) e[kind === 'event' ? 'name' : 'status'] = name.value.trim();
        if (within.value.trim()) e.within = within.value.trim();
        if (atLeast.value !== '') e.atLeast = Number(atLeast.value);
        return { [kind]: e };
      };
      break;
    }
    case 'health': {
      const status = h(
        'select',
        { 'data-role': 'status' },
        ['RED', 'AMBER', 'GREEN'].map((v) => h('option', { value: v }, v)),
      );
      body = [field('uses a device whose health is', status)];
      read = () => ({ health: { status: status.value } });
      break;
    }
    case 'device': {
      const name = h(
        'select',
        { 'data-role': 'name' },
        ['ind_packetErrors', 'ind_signalDbm', 'ind_firmwareDownloadErrors', 'ind_rebootCount', 'type', 'model'].map(
          (n) => h('option', { value: n }, n),
        ),
      );
      const op = opSelect('gt');
      const val = h('input', { value: '100', 'data-role': 'value', size: 8 });
      body = [field('device indicator', name), field('is', op), field('value', val)];
      read = () => ({
        device: { where: [{ name: name.value, op: op.value, value: parseValue(val.value, op.value) }] },
      });
      break;
    }
    case 'shares': {
      const via = h(
        'select',
        { 'data-role': 'via' },
        h('option', { value: 'device' }, 'a device'),
        h('option', { value: 'account' }, 'an account'),
      );
      const name = h('input', { value: 'plan', 'data-role': 'name', size: 10 });
      const val = h('input', { value: 'Business Pro', 'data-role': 'value', size: 12 });
      body = [field('shares', via), field('with a customer whose', name), field('equals', val)];
      read = () => ({
        shares: {
          via: via.value,
          with: { trait: { name: name.value.trim(), op: 'eq', value: parseValue(val.value, 'eq') } },
        },
      });
      break;
    }
  }
  const row: Row = {
    kind,
    element: h('div', { class: 'cond', 'data-kind': kind }),
    read: () => read(),
  };
  fill(
    row.element,
    h('span', { class: 'cond-kind' }, kind),
    body,
    h('button', { type: 'button', class: 'icon', title: 'Remove', onclick: () => onRemove(row) }, '×'),
  );
  return row;
}

export function marketerView(root: HTMLElement): () => void {
  const cleanups: (() => void)[] = [];
  const rows: Row[] = [];
  const rowsBox = h('div', { class: 'conds', 'data-testid': 'conditions' });
  const combinator = h(
    'select',
    { 'data-testid': 'combinator' },
    h('option', { value: 'and' }, 'all of'),
    h('option', { value: 'or' }, 'any of'),
  );
  const json = h('textarea', { class: 'json', rows: 14, spellcheck: 'false', 'data-testid': 'definition-json' });
  const formPane = h('div', { class: 'pane' });
  const jsonPane = h('div', { class: 'pane', hidden: true });
  const tabForm = h('button', { type: 'button', class: 'tab active', 'data-testid': 'tab-form' }, 'Form');
  const tabJson = h('button', { type: 'button', class: 'tab', 'data-testid': 'tab-json' }, 'JSON');
  const problems = h('div', { class: 'problems', 'data-testid': 'definition-errors' });
  const count = h('div', { class: 'count', 'data-testid': 'preview-count' }, '—');
  const members = h('ul', { class: 'rows', 'data-testid': 'preview-members' });
  const nameInput = h('input', { placeholder: 'Segment name', 'data-testid': 'segment-name', size: 24 });
  const saveBtn = h('button', { type: 'button', 'data-testid': 'segment-save' }, 'Save segment');
  const savedList = h('tbody', { 'data-testid': 'segments' });
  const changes = h('ul', { class: 'history', 'data-testid': 'membership-changes' });
  let usingJson = false;

  const definition = (): Definition => {
    if (usingJson) return JSON.parse(json.value) as Definition;
    const parts = rows.map((r) => r.read());
    if (parts.length === 1) return parts[0];
    return { [combinator.value]: parts };
  };

  const removeRow = (row: Row) => {
    rows.splice(rows.indexOf(row), 1);
    row.element.remove();
    schedulePreview();
  };
  const addRow = (kind: RowKind) => {
    const row = makeRow(kind, removeRow);
    rows.push(row);
    rowsBox.append(row.element);
    schedulePreview();
  };

  const showProblems = (e: unknown) => {
    if (e instanceof GraphQLRequestError && e.code === 'BAD_USER_INPUT') {
      const err = e.errors[0];
      const issues = err.extensions?.issues ?? [];
      fill(
        problems,
        h('strong', null, err.message),
        issues.length
          ? h(
              'ul',
              null,
              issues.map((i) => h('li', null, `${i.path ?? ''}: ${i.message ?? ''}`)),
            )
          : null,
      );
    } else fill(problems, h('strong', null, describeError(e)));
  };

  let seq = 0;
  const preview = async () => {
    const mine = ++seq;
    let d: Definition;
    try {
      d = definition();
    } catch (e) {
      fill(problems, h('strong', null, `Not JSON: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (!usingJson) json.value = JSON.stringify(d, null, 2);
    try {
      const data = await gql<{
        previewSegment: {
          count: number;
          members: {
            edges: { node: { id: string; traits: Record<string, unknown>; health: { status: string } | null } }[];
          };
        };
      }>(PREVIEW, { d });
      if (mine !== seq) return;
      problems.replaceChildren();
      count.textContent = `${data.previewSegment.count} customers`;
      count.dataset.count = String(data.previewSegment.count);
      fill(
        members,
        data.previewSegment.members.edges.map(({ node }) =>
          h(
            'li',
            { 'data-id': node.id },
            h(
              'div',
              { class: 'row-main' },
              h('strong', null, customerName(node.traits, node.id)),
              ' ',
              node.health ? badge(node.health.status) : null,
            ),
            h('div', { class: 'row-sub' }, value(node.traits.email ?? ''), ' ', value(node.traits.phone ?? '')),
          ),
        ),
      );
    } catch (e) {
      if (mine !== seq) return;
      count.textContent = '—';
      delete count.dataset.count;
      members.replaceChildren();
      showProblems(e);
    }
  };
  const schedulePreview = debounce(() => void preview(), 300);

  const liveSubs = new Map<string, () => void>();
  const loadSegments = async () => {
    try {
      const data = await gql<{ segments: SavedSegment[] }>(SEGMENTS);
      fill(
        savedList,
        data.segments.map((s) =>
          h(
            'tr',
            { 'data-id': s.id },
            h('td', null, s.name ?? s.id),
            h('td', { class: 'num', 'data-testid': 'segment-size' }, String(s.size)),
            h('td', { class: 'muted', title: JSON.stringify(s.definition) }, describeDefinition(s.definition)),
          ),
        ),
      );
      for (const s of data.segments) {
        if (liveSubs.has(s.id)) continue;
        liveSubs.set(
          s.id,
          subscribe<{ segmentMembershipChanged: { id: string; customerId: string; entered: boolean; at: string } }>(
            LIVE,
            { id: s.id },
            (d) => {
              const c = d.segmentMembershipChanged;
              changes.prepend(
                h('li', null, `${when(c.at)} ${c.customerId} ${c.entered ? 'entered' : 'left'} ${s.name ?? s.id}`),
              );
              while (changes.children.length > 20) changes.lastElementChild?.remove();
              refreshSizes();
            },
            (e) => toast(`Live segment ${s.name ?? s.id}: ${describeError(e)}`, 'error'),
          ),
        );
      }
    } catch (e) {
      fill(savedList, h('tr', null, h('td', { class: 'error', colspan: 3 }, describeError(e))));
    }
  };
  const refreshSizes = debounce(() => void loadSegments(), 500);
  cleanups.push(() => {
    for (const off of liveSubs.values()) off();
  });

  saveBtn.addEventListener('click', async () => {
    try {
      const d = definition();
      const name = nameInput.value.trim();
      const data = await gql<{ saveSegment: SavedSegment }>(SAVE, { name, d });
      toast(`Saved ${data.saveSegment.name}: ${data.saveSegment.size} customers`);
      await loadSegments();
    } catch (e) {
      showProblems(e);
    }
  });

  const switchTo = (toJson: boolean) => {
    if (toJson && !usingJson) json.value = JSON.stringify(definition(), null, 2);
    usingJson = toJson;
    formPane.hidden = toJson;
    jsonPane.hidden = !toJson;
    tabForm.classList.toggle('active', !toJson);
    tabJson.classList.toggle('active', toJson);
    schedulePreview();
  };
  tabForm.addEventListener('click', () => switchTo(false));
  tabJson.addEventListener('click', () => switchTo(true));
  json.addEventListener('input', schedulePreview);
  formPane.addEventListener('input', schedulePreview);
  formPane.addEventListener('change', schedulePreview);

  const labels: Record<RowKind, string> = {
    trait: '+ trait',
    event: '+ behaviour',
    order: '+ order',
    health: '+ device health',
    device: '+ device indicator',
    shares: '+ relationship',
  };
  const adders = (['trait', 'event', 'order', 'health', 'device', 'shares'] as const).map((k) =>
    h('button', { type: 'button', class: 'secondary', 'data-testid': `add-${k}`, onclick: () => addRow(k) }, labels[k]),
  );
  fill(
    formPane,
    h('div', { class: 'combinator' }, 'Customers matching ', combinator, ' these conditions:'),
    rowsBox,
    h('div', { class: 'adders' }, adders),
  );
  fill(
    jsonPane,
    h('p', { class: 'muted' }, 'The definition language of docs/segments.md; checked by the API as you type.'),
    json,
  );
  const traitNames = h(
    'datalist',
    { id: 'trait-names' },
    [
      'lifetimeValue',
      'plan',
      'country',
      'views_7d',
      'orders_30d',
      'spend_90d',
      'pagerank',
      'community',
      'email',
      'firstName',
    ].map((n) => h('option', { value: n })),
  );

  fill(
    root,
    h(
      'div',
      { class: 'marketer' },
      section(
        'Build an audience',
        'builder',
        h('div', { class: 'tabs-inline' }, tabForm, tabJson),
        formPane,
        jsonPane,
        traitNames,
        problems,
        h('div', { class: 'save-row' }, nameInput, saveBtn),
      ),
      section('Preview', 'preview', count, h('h4', null, 'First members'), members),
      section(
        'Saved segments',
        'saved',
        h(
          'table',
          { class: 'list' },
          h('thead', null, h('tr', null, h('th', null, 'name'), h('th', null, 'size'), h('th', null, 'definition'))),
          savedList,
        ),
        h('h4', null, 'Entered / left, live'),
        changes,
      ),
    ),
  );
  addRow('trait');
  void loadSegments();
  return () => {
    for (const c of cleanups.splice(0)) c();
  };
}
