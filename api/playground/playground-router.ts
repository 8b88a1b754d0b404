/**
 * GraphiQL served by c360 itself, so the playground works with no internet:
 * the UMD builds of React 18 and GraphiQL 3 come from node_modules, the page
 * and its bootstrap script from this folder.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';

export const PLAYGROUND_ASSETS_PATH = '/playground/assets';

/**
 * Only 'self': every script, style and request stays on this server. The one
 * allowance is data: fonts and images, which GraphiQL's stylesheet embeds.
 */
export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

interface Asset {
  readonly file: string;
  readonly hash: string;
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function loadAssets(): Map<string, Asset> {
  const files: Record<string, string> = {
    'graphiql.min.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
    'graphiql.min.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
    // Subscriptions run over graphql-ws on the same path; its UMD build exposes `graphqlWs`.
    'graphql-ws.min.js': path.join(packageDir('graphql-ws'), 'umd', 'graphql-ws.min.js'),
    'react.production.min.js': path.join(packageDir('react'), 'umd', 'react.production.min.js'),
    'react-dom.production.min.js': path.join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'),
    'playground.js': path.join(__dirname, 'playground.js'),
    'playground.css': path.join(__dirname, 'playground.css'),
  };
  const assets = new Map<string, Asset>();
  for (const [name, file] of Object.entries(files)) {
    // A content hash in the URL lets browsers cache assets forever and still see upgrades.
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
    assets.set(name, { file, hash });
  }
  return assets;
}

export interface Playground {
  /** Serves the hashed assets; mount at the app root. */
  readonly router: express.Router;
  /** Answers a browser's GET of the GraphQL endpoint with the playground page; otherwise calls next(). */
  readonly page: express.RequestHandler;
}

/** Values the example operations start with: real ones from the data being served (the demo's first customer). */
export interface PlaygroundExamples {
  readonly email?: string;
  readonly customerId?: string;
}

const escapeAttribute = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function createPlayground(examples: PlaygroundExamples = {}): Playground {
  const assets = loadAssets();
  const html = readFileSync(path.join(__dirname, 'playground.html'), 'utf8')
    // A meta tag, not an inline script: the page's CSP allows scripts from 'self' only.
    .replace('{{examples}}', escapeAttribute(JSON.stringify(examples)))
    .replace(/\{\{asset:([\w.-]+)\}\}/g, (_m, name: string) => {
      const asset = assets.get(name);
      if (!asset) throw new TypeError(`playground.html references unknown asset ${name}`);
      return `${PLAYGROUND_ASSETS_PATH}/${asset.hash}/${name}`;
    });

  const router = express.Router();
  router.get(`${PLAYGROUND_ASSETS_PATH}/:hash/:name`, (req: Request, res: Response, next: NextFunction) => {
    const asset = assets.get(String(req.params.name));
    if (!asset || asset.hash !== req.params.hash) return next();
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.sendFile(asset.file, { maxAge: '365d', immutable: true });
  });

  const page: express.RequestHandler = (req, res, next) => {
    const wantsHtml =
      req.query.query === undefined &&
      req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';
    if (!wantsHtml) return next();
    res.setHeader('Content-Security-Policy', PLAYGROUND_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  };

  return { router, page };
}
