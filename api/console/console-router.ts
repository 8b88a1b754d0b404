/**
 * The console (agent, marketer and analyst views) and the landing page, served
 * by c360 itself so they work with no internet. The browser code in client/
 * is bundled with esbuild the first time a page is asked for (once per
 * process, in memory): a fresh clone needs no build step and nothing generated
 * is committed. Every call the console makes goes through the public GraphQL
 * API with the tab's own credentials; this router serves files only.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import { C360Error } from '../../graph-schema';

export const CONSOLE_PATH = '/console';
export const CONSOLE_ASSETS_PATH = '/console/assets';

/**
 * Only 'self': scripts, styles and requests (GraphQL over HTTP and graphql-ws)
 * stay on this server. Graph drawings are canvases; data: images are the
 * canvas snapshots a user may export.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

interface Asset {
  readonly name: string;
  readonly hash: string;
  readonly type: string;
  readonly body: Buffer;
  /** Served to browsers that accept gzip: the bundle is mostly a graph-drawing library that compresses well. */
  readonly gzip: Buffer;
}

function asset(name: string, type: string, body: Buffer): Asset {
  // A content hash in the URL lets browsers cache assets forever and still see upgrades.
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { name, hash, type, body, gzip: gzipSync(body, { level: 9 }) };
}

/** The console's pages could not be built (a broken install, a syntax error in client/). Not retriable. */
export class ConsoleBuildError extends C360Error {
  override name = 'ConsoleBuildError';
  constructor(message: string, cause: unknown) {
    super(message, { code: 'CONSOLE_BUILD_FAILED', cause });
  }
}

/** The console bundle: client/main.ts with cytoscape and graphql-ws, minified. */
async function bundleClient(): Promise<Buffer> {
  const entry = path.join(__dirname, 'client', 'main.ts');
  try {
    return await bundle(entry);
  } catch (e) {
    throw new ConsoleBuildError(`console: bundling ${entry} with esbuild failed: ${(e as Error).message}`, e);
  }
}

async function bundle(entry: string): Promise<Buffer> {
  // Loaded on first use: processes that never serve the console never load esbuild.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    write: false,
    logLevel: 'silent',
    legalComments: 'eof',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return Buffer.from(result.outputFiles[0].contents);
}

export interface ConsoleAssets {
  readonly assets: ReadonlyMap<string, Asset>;
  readonly landing: string;
  readonly console: string;
}

let shared: Promise<ConsoleAssets> | null = null;

/** Builds (once per process; every hub in it shares the result) the pages and their hashed assets. */
export function loadConsoleAssets(): Promise<ConsoleAssets> {
  if (shared) return shared;
  const building = (async () => {
    const assets = new Map<string, Asset>();
    const add = (a: Asset) => assets.set(a.name, a);
    add(asset('console.js', 'application/javascript; charset=utf-8', await bundleClient()));
    add(asset('console.css', 'text/css; charset=utf-8', readFileSync(path.join(__dirname, 'console.css'))));
    const page = (file: string) =>
      readFileSync(path.join(__dirname, file), 'utf8').replace(/\{\{asset:([\w.-]+)\}\}/g, (_m, name: string) => {
        const a = assets.get(name);
        if (!a) throw new TypeError(`${file} references unknown asset ${name}`);
        return `${CONSOLE_ASSETS_PATH}/${a.hash}/${name}`;
      });
    return { assets, landing: page('landing.html'), console: page('console.html') };
  })();
  shared = building;
  building.catch(() => {
    // A failed build is reported to the requests that asked (and logged); the next request tries again.
    if (shared === building) shared = null;
  });
  return building;
}

interface DocPage {
  readonly file: string;
  readonly title: string;
}

/** Markdown pages of docs/ the landing page links to, served as plain text (the hub has no renderer). */
function docsIndex(docsDir: string): Map<string, DocPage> {
  const docs = new Map<string, DocPage>();
  let names: string[] = [];
  try {
    names = readdirSync(docsDir).filter((f) => f.endsWith('.md'));
  } catch {
    // An installation without docs/ serves none.
  }
  for (const name of names.sort()) {
    const file = path.join(docsDir, name);
    const heading = /^# (.+)$/m.exec(readFileSync(file, 'utf8'));
    docs.set(name, { file, title: heading ? heading[1].replace(/`/g, '') : name });
  }
  return docs;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export interface ConsoleOptions {
  /** Where the markdown docs live (default: the repository's docs/). */
  readonly docsDir?: string;
}

/**
 * `GET /` (landing page), `GET /console` (the console), hashed assets under
 * `/console/assets/<hash>/<name>`, and `GET /docs/<page>.md`.
 */
export function createConsoleRouter(options: ConsoleOptions = {}): express.Router {
  const docs = docsIndex(options.docsDir ?? path.join(__dirname, '..', '..', 'docs'));
  const router = express.Router();
  const pageHeaders = (res: Response) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
  };
  const docList = [...docs].map(([name, d]) => `<li><a href="/docs/${name}">${escapeHtml(d.title)}</a></li>`).join('');
  const servePage = (which: 'landing' | 'console') => (_req: Request, res: Response, next: NextFunction) => {
    loadConsoleAssets().then((built) => {
      pageHeaders(res);
      res.type('html').send(built[which].replace('{{docs}}', docList));
    }, next);
  };
  router.get('/', servePage('landing'));
  router.get(CONSOLE_PATH, servePage('console'));
  router.get(`${CONSOLE_ASSETS_PATH}/:hash/:name`, (req: Request, res: Response, next: NextFunction) => {
    loadConsoleAssets().then((built) => {
      const a = built.assets.get(String(req.params.name));
      if (!a || a.hash !== req.params.hash) return next();
      const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
      res.setHeader('Content-Type', a.type);
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Vary', 'Accept-Encoding');
      if (gzip) res.setHeader('Content-Encoding', 'gzip');
      res.send(gzip ? a.gzip : a.body);
    }, next);
  });
  router.get('/docs/:page', (req: Request, res: Response, next: NextFunction) => {
    const doc = docs.get(String(req.params.page));
    if (!doc) return next();
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('text/plain; charset=utf-8').sendFile(doc.file);
  });
  return router;
}
