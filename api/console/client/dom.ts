/** A tiny element builder: the console is plain DOM (no framework), so the page stays small. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'class') el.className = String(value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A traffic-light pill: RED, AMBER, GREEN or UNKNOWN. */
export function badge(status: string | null | undefined, testId?: string): HTMLSpanElement {
  const s = status ?? 'UNKNOWN';
  return h('span', { class: `badge badge-${s}`, 'data-testid': testId, 'data-status': s }, s);
}

/** A titled panel. */
export function section(title: string, testId: string | null, ...body: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'panel', 'data-testid': testId }, h('h3', null, title), ...body);
}

let toastTimer = 0;
/** A short message at the bottom right (errors stay longer). */
export function toast(message: string, kind: 'info' | 'error' | 'live' = 'info'): void {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(t);
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => t.remove(), kind === 'error' ? 8000 : 5000);
  while (box.children.length > 4) box.firstElementChild?.remove();
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer = 0;
  return (...args: A) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}
