/**
 * The c360 console: three views over the public GraphQL API, routed by the
 * URL hash (#/agent[/<customer id>], #/marketer, #/analyst). Runs as one
 * bundled script: the Content-Security-Policy forbids inline scripts.
 */
import { agentView } from './agent-view';
import { analystView } from './analyst-view';
import { apiKey, probeSession, type SessionMode, setApiKey } from './api';
import { fill, h } from './dom';
import { marketerView } from './marketer-view';

const app = document.getElementById('app') as HTMLElement;
const sessionBox = document.getElementById('session') as HTMLElement;
let cleanup: () => void = () => undefined;
let mode: SessionMode = { kind: 'signed-out', reason: 'Checking…' };

function maskedKey(key: string): string {
  return key.length > 10 ? `${key.slice(0, 6)}…${key.slice(-4)}` : '••••';
}

function renderSession(): void {
  if (mode.kind === 'demo') {
    fill(
      sessionBox,
      h('span', { class: 'pill pill-demo', 'data-testid': 'session-mode' }, 'demo mode'),
      h('button', { type: 'button', class: 'secondary', onclick: () => signInForm() }, 'Use an API key'),
    );
  } else if (mode.kind === 'key') {
    fill(
      sessionBox,
      h('span', { class: 'pill', 'data-testid': 'session-mode' }, `key ${maskedKey(apiKey() ?? '')}`),
      h(
        'button',
        { type: 'button', class: 'secondary', 'data-testid': 'sign-out', onclick: () => void signIn(null) },
        'Sign out',
      ),
    );
  } else fill(sessionBox, h('span', { class: 'pill', 'data-testid': 'session-mode' }, 'signed out'));
}

async function signIn(key: string | null): Promise<void> {
  setApiKey(key);
  mode = await probeSession();
  renderSession();
  route();
}

function signInForm(reason?: string): void {
  cleanup();
  cleanup = () => undefined;
  const input = h('input', {
    type: 'password',
    placeholder: 'API key',
    'data-testid': 'api-key',
    size: 40,
    autocomplete: 'off',
  });
  const form = h(
    'form',
    { class: 'signin', 'data-testid': 'signin' },
    h('h2', null, 'Sign in'),
    h(
      'p',
      { class: 'muted' },
      'Paste an API key (npx c360 api-key --name you --roles agent). It is kept for this tab only and sent to the GraphQL API with every call; what you see depends on its roles.',
    ),
    reason ? h('p', { class: 'error' }, reason) : null,
    input,
    h('button', { type: 'submit', 'data-testid': 'api-key-submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) void signIn(input.value.trim());
  });
  fill(app, form);
  input.focus();
}

function route(): void {
  cleanup();
  cleanup = () => undefined;
  if (mode.kind === 'signed-out') {
    signInForm(mode.reason);
    return;
  }
  const [, view = 'agent', ...rest] = location.hash.replace(/^#/, '').split('/');
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.tabs a')) {
    a.classList.toggle('active', a.dataset.view === view);
  }
  app.dataset.view = view;
  switch (view) {
    case 'marketer':
      cleanup = marketerView(app);
      break;
    case 'analyst':
      cleanup = analystView(app);
      break;
    default:
      cleanup = agentView(app, rest.length ? decodeURIComponent(rest.join('/')) : null);
  }
}

window.addEventListener('hashchange', route);
void (async () => {
  mode = await probeSession();
  renderSession();
  route();
})();
