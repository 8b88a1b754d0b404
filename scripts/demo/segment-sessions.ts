/**
 * Clickstream sessions in the Segment spec's own shape (analytics.js on the
 * web, analytics-ios / analytics-kotlin in the app): anonymous browsing,
 * identify on login, product views, orders, screens, group and alias calls.
 * Timestamps follow the SDKs: `timestamp` is the device clock when the event
 * happened, `sentAt` the device clock when the batch was flushed; the hub's
 * receive time is the queue position.
 */
import type { AppClient, CustomerProfile, WebClient } from './customer-profile';
import { centsToDecimalString, type Product } from './demo-vocabulary';
import type { Prng } from './prng';

export type SegmentMessage = Record<string, unknown> & { readonly type: string; readonly messageId: string };

export interface OrderLine {
  readonly product: Product;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

export interface ClickstreamEnv {
  readonly prng: Prng;
  readonly catalog: readonly Product[];
  priceCents(product: Product): number;
  emit(message: SegmentMessage, arrivalMs: number): void;
  /** Records the order in the CRM (CDC) and returns its id. */
  placeOrder(profile: CustomerProfile, lines: readonly OrderLine[], placedAtMs: number): number;
  /** True when this customer's home internet is currently failing (they look for help). */
  troubled(profile: CustomerProfile, ms: number): boolean;
}

const SITE = 'https://www.telco.example';
const WEB_LIBRARY = { name: 'analytics.js', version: 'npm:next-1.72.0' };
const SECOND = 1000;

interface PageDef {
  readonly name: string;
  readonly path: string;
  readonly title: string;
  readonly product?: Product;
}

const STATIC_PAGES: readonly PageDef[] = [
  { name: 'Home', path: '/', title: 'Telco — Internet, TV & Mobile' },
  { name: 'Plans', path: '/plans', title: 'Plans | Telco' },
  { name: 'Fiber Plans', path: '/plans/fiber', title: 'Fiber internet | Telco' },
  { name: 'Mobile Plans', path: '/plans/mobile', title: 'Mobile plans | Telco' },
  { name: 'Support', path: '/support', title: 'Help & Support | Telco' },
];
const TROUBLE_PAGE: PageDef = { name: 'Wi-Fi Troubleshooting', path: '/support/wifi', title: 'Fix your Wi-Fi | Telco' };
const BILLS_PAGE: PageDef = { name: 'My Bills', path: '/account/bills', title: 'My bills | Telco' };
const LOGIN_PAGE: PageDef = { name: 'Login', path: '/login', title: 'Log in | Telco' };
const REFERRERS = [
  '',
  'https://www.google.com/',
  'https://www.google.com/',
  'https://www.facebook.com/',
  'https://www.bing.com/',
];
const APP_SCREENS = ['Home', 'Data Usage', 'My Bills', 'Shop', 'Settings', 'Support'];

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function productProperties(product: Product, priceCents: number): Record<string, unknown> {
  return {
    product_id: product.sku,
    sku: product.sku,
    category: product.category,
    name: product.name,
    brand: product.brand,
    price: priceCents / 100,
  };
}

const accessoriesOf = new WeakMap<readonly Product[], readonly Product[]>();

function pickProduct(prng: Prng, catalog: readonly Product[]): Product {
  let accessories = accessoriesOf.get(catalog);
  if (!accessories) {
    accessories = catalog.filter((p) => p.category === 'Accessories');
    accessoriesOf.set(catalog, accessories);
  }
  // Accessories sell most; phones are browsed a lot but bought less.
  return prng.chance(0.55) ? prng.pick(accessories) : prng.pick(catalog);
}

/** Identify traits as an SDK sends them: formats vary and a few are junk, as on real sites. */
function identifyTraits(prng: Prng, profile: CustomerProfile): Record<string, unknown> {
  let email = profile.email;
  if (prng.chance(0.1)) email = email.charAt(0).toUpperCase() + email.slice(1).replace(/@(.)/, (m) => m.toUpperCase());
  if (prng.chance(0.01)) email = 'test@test.com';
  let phone = profile.phone;
  if (prng.chance(0.3)) phone = phone.replace(/\s+/g, '');
  if (prng.chance(0.01)) phone = 'unknown';
  const traits: Record<string, unknown> = {
    email,
    firstName: profile.firstName,
    lastName: profile.lastName,
    name: `${profile.firstName} ${profile.lastName}`,
    phone,
    plan: profile.plan,
    address: { city: profile.address.city, country: profile.country.code, postalCode: profile.address.postalCode },
  };
  if (profile.business) traits['company'] = { name: profile.business.company, industry: profile.business.industry };
  return traits;
}

interface Emitter {
  readonly anonymousId: string;
  userId: string | null;
  send(type: string, atMs: number, fields: Record<string, unknown>): void;
}

function webEmitter(
  env: ClickstreamEnv,
  client: Pick<WebClient, 'deviceId' | 'manufacturer' | 'model' | 'userAgent'>,
  anonymousId: string,
  userId: string | null,
  ip: string,
  locale: string,
  timezone: string,
  currentPage: () => PageDef,
  referrer: string,
): Emitter {
  const emitter: Emitter = {
    anonymousId,
    userId,
    send(type, atMs, fields) {
      const page = currentPage();
      // analytics.js sends each call right away: sentAt trails timestamp by the time to build the request.
      const sentMs = atMs + 3 + env.prng.int(40);
      env.emit(
        {
          type,
          messageId: `ajs-next-${atMs}-${env.prng.hex(24)}`,
          anonymousId: emitter.anonymousId,
          userId: emitter.userId,
          ...fields,
          context: {
            ip,
            locale,
            timezone,
            userAgent: client.userAgent,
            library: WEB_LIBRARY,
            page: { path: page.path, referrer, search: '', title: page.title, url: `${SITE}${page.path}` },
            device: { id: client.deviceId, type: 'desktop', manufacturer: client.manufacturer, model: client.model },
          },
          integrations: {},
          timestamp: iso(atMs),
          sentAt: iso(sentMs),
        },
        sentMs + 20 + env.prng.int(200),
      );
    },
  };
  return emitter;
}

function identify(env: ClickstreamEnv, emitter: Emitter, profile: CustomerProfile, atMs: number): void {
  emitter.userId = profile.id;
  emitter.send('identify', atMs, { traits: identifyTraits(env.prng, profile) });
}

function checkout(env: ClickstreamEnv, emitter: Emitter, profile: CustomerProfile, startMs: number): number {
  const { prng } = env;
  const lineCount = prng.weighted([
    [1, 6],
    [2, 3],
    [3, 1],
  ] as const);
  const lines: OrderLine[] = [];
  for (let i = 0; i < lineCount; i++) {
    const product = pickProduct(prng, env.catalog);
    if (lines.some((line) => line.product.sku === product.sku)) continue;
    const quantity = product.category === 'Accessories' && prng.chance(0.2) ? 2 : 1;
    lines.push({ product, quantity, unitPriceCents: env.priceCents(product) });
  }
  let t = startMs;
  for (const line of lines) {
    emitter.send('track', t, {
      event: 'Product Added',
      properties: { ...productProperties(line.product, line.unitPriceCents), quantity: line.quantity },
    });
    t += prng.between(5, 60) * SECOND;
  }
  const totalCents = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
  const checkoutId = prng.hex(16);
  emitter.send('track', t, {
    event: 'Checkout Started',
    properties: { checkout_id: checkoutId, value: totalCents / 100 },
  });
  t += prng.between(40, 240) * SECOND;
  const orderId = env.placeOrder(profile, lines, t);
  emitter.send('track', t, {
    event: 'Order Completed',
    properties: {
      checkout_id: checkoutId,
      order_id: String(orderId),
      affiliation: 'Telco Online Shop',
      total: totalCents / 100,
      revenue: Math.round(totalCents / 1.19) / 100,
      tax: Number(centsToDecimalString(totalCents - Math.round(totalCents / 1.19))),
      shipping: 0,
      discount: 0,
      currency: profile.country.currency,
      products: lines.map((line) => ({
        product_id: line.product.sku,
        sku: line.product.sku,
        name: line.product.name,
        price: line.unitPriceCents / 100,
        quantity: line.quantity,
        category: line.product.category,
      })),
    },
  });
  return t;
}

function groupCall(emitter: Emitter, profile: CustomerProfile, atMs: number): void {
  if (!profile.business) return;
  emitter.send('group', atMs, {
    groupId: profile.accountId,
    traits: {
      name: profile.business.company,
      industry: profile.business.industry,
      employees: profile.business.employees,
      plan: profile.plan,
    },
  });
}

export interface WebSessionOptions {
  /** The browser's anonymousId for this session (a cleared cookie gives a new one). */
  readonly anonymousId: string;
  /** Already logged in when the session starts. */
  readonly loggedIn: boolean;
  /** Log in during the session (identify), when not already. */
  readonly logIn: boolean;
  /** Send an alias(previousId = anonymousId) after the first login, as older integrations do. */
  readonly alias: boolean;
  /** A brand-new customer: the session ends with the signup form. */
  readonly signUp: boolean;
}

/** A web visit by a known customer. Returns the session's last event time. */
export function webSession(
  env: ClickstreamEnv,
  profile: CustomerProfile,
  startMs: number,
  options: WebSessionOptions,
): number {
  const { prng } = env;
  let page: PageDef = STATIC_PAGES[0];
  const referrer = prng.pick(REFERRERS);
  const emitter = webEmitter(
    env,
    profile.web,
    options.anonymousId,
    options.loggedIn ? profile.id : null,
    profile.homeIp,
    profile.country.locale,
    profile.country.timezone,
    () => page,
    referrer,
  );
  const troubled = env.troubled(profile, startMs);
  const pageCount = prng.between(2, 7);
  const loginAt = options.logIn && !options.loggedIn ? prng.between(1, pageCount) : -1;
  let t = startMs;
  for (let p = 0; p < pageCount; p++) {
    if (p === loginAt) {
      page = LOGIN_PAGE;
      emitter.send('page', t, { name: page.name, properties: pageProperties(page, referrer) });
      t += prng.between(10, 40) * SECOND;
      if (!options.signUp) {
        identify(env, emitter, profile, t);
        if (options.alias) emitter.send('alias', t + 120, { previousId: options.anonymousId });
        t += prng.between(2, 10) * SECOND;
      }
    }
    page = nextPage(prng, env.catalog, p, troubled, emitter.userId !== null);
    emitter.send('page', t, { name: page.name, properties: pageProperties(page, referrer) });
    if (page.product) {
      t += prng.between(1, 4) * SECOND;
      emitter.send('track', t, {
        event: 'Product Viewed',
        properties: productProperties(page.product, env.priceCents(page.product)),
      });
    }
    if (page === TROUBLE_PAGE) {
      t += prng.between(20, 90) * SECOND;
      emitter.send('track', t, {
        event: 'Troubleshooting Started',
        properties: { topic: 'wifi', result: 'unresolved' },
      });
    }
    t += prng.between(8, 150) * SECOND;
  }
  if (options.signUp) {
    identify(env, emitter, profile, t);
    t += prng.between(1, 3) * SECOND;
    emitter.send('track', t, { event: 'Signed Up', properties: { plan: profile.plan, method: 'web' } });
    return t;
  }
  if (emitter.userId !== null && prng.chance(0.14)) t = checkout(env, emitter, profile, t + 30 * SECOND);
  if (emitter.userId !== null && profile.business && prng.chance(0.4)) groupCall(emitter, profile, t + 2 * SECOND);
  return t;
}

/** A visitor who never becomes a known customer; a few leave a newsletter email, some of it junk. */
export function anonymousVisit(env: ClickstreamEnv, visitorEmail: () => string, startMs: number): number {
  const { prng } = env;
  let page: PageDef = STATIC_PAGES[0];
  const referrer = prng.pick(REFERRERS);
  const desktop = {
    deviceId: prng.uuid().toUpperCase(),
    manufacturer: 'Apple',
    model: 'Macintosh',
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  };
  const ip = `${prng.between(31, 217)}.${prng.between(0, 255)}.${prng.between(0, 255)}.${prng.between(1, 254)}`;
  const emitter = webEmitter(env, desktop, prng.uuid(), null, ip, 'en-GB', 'Europe/London', () => page, referrer);
  let t = startMs;
  for (let p = 0, n = prng.between(1, 4); p < n; p++) {
    page = nextPage(prng, env.catalog, p, false, false);
    emitter.send('page', t, { name: page.name, properties: pageProperties(page, referrer) });
    if (page.product) {
      emitter.send('track', t + 1500, {
        event: 'Product Viewed',
        properties: productProperties(page.product, env.priceCents(page.product)),
      });
    }
    t += prng.between(5, 90) * SECOND;
  }
  if (prng.chance(0.1)) {
    const email = prng.chance(0.25) ? 'test@test.com' : visitorEmail();
    emitter.send('identify', t, { traits: { email, newsletter: true } });
  }
  return t;
}

function pageProperties(page: PageDef, referrer: string): Record<string, unknown> {
  return { name: page.name, path: page.path, referrer, search: '', title: page.title, url: `${SITE}${page.path}` };
}

function nextPage(
  prng: Prng,
  catalog: readonly Product[],
  index: number,
  troubled: boolean,
  loggedIn: boolean,
): PageDef {
  if (troubled && prng.chance(0.5)) return TROUBLE_PAGE;
  if (loggedIn && prng.chance(0.15)) return BILLS_PAGE;
  if (index === 0 && prng.chance(0.5)) return prng.pick(STATIC_PAGES);
  if (prng.chance(0.6)) {
    const product = pickProduct(prng, catalog);
    return {
      name: 'Product',
      path: `/shop/${slug(product.category)}/${product.sku.toLowerCase()}`,
      title: product.name,
      product,
    };
  }
  return prng.pick(STATIC_PAGES);
}

export interface AppSessionOptions {
  readonly client: AppClient;
  /** Apps identify on launch when the user just logged in or switched profile (shared tablets). */
  readonly identifyFirst: boolean;
  /** The phone was offline: the batch reaches the hub hours later. */
  readonly offline: boolean;
}

/** A mobile-app session: screens, a few tracks, all flushed in one batch when the app goes to background. */
export function appSession(
  env: ClickstreamEnv,
  profile: CustomerProfile,
  startMs: number,
  options: AppSessionOptions,
): number {
  const { prng } = env;
  const { client } = options;
  const batch: { atMs: number; message: SegmentMessage }[] = [];
  const context = {
    app: {
      name: 'Telco',
      version: client.appVersion,
      build: client.appVersion.replace(/\./g, ''),
      namespace: 'com.telco.app',
    },
    device: {
      id: client.deviceId,
      manufacturer: client.manufacturer,
      model: client.model,
      type: client.platform,
      name: client.platform === 'ios' ? 'iPhone' : client.model,
    },
    library:
      client.platform === 'ios'
        ? { name: 'analytics-ios', version: '4.1.8' }
        : { name: 'analytics-kotlin', version: '1.15.0' },
    os: { name: client.platform === 'ios' ? 'iOS' : 'Android', version: client.osVersion },
    network: { wifi: prng.chance(0.6), cellular: true, carrier: 'Telco' },
    locale: profile.country.locale,
    timezone: profile.country.timezone,
    ip: profile.homeIp,
  };
  const emitter: Emitter = {
    anonymousId: client.anonymousId,
    userId: options.identifyFirst ? null : profile.id,
    send(type, atMs, fields) {
      batch.push({
        atMs,
        message: {
          type,
          messageId: prng.uuid(),
          anonymousId: client.anonymousId,
          userId: emitter.userId,
          ...fields,
          context,
          integrations: {},
          timestamp: iso(atMs + client.clockSkewMs),
        },
      });
    },
  };
  let t = startMs;
  emitter.send('track', t, {
    event: 'Application Opened',
    properties: { from_background: prng.chance(0.6), version: client.appVersion },
  });
  if (options.identifyFirst) {
    t += prng.between(2, 15) * SECOND;
    identify(env, emitter, profile, t);
  }
  const troubled = env.troubled(profile, startMs);
  for (let s = 0, n = prng.between(1, 5); s < n; s++) {
    t += prng.between(3, 60) * SECOND;
    if (troubled && prng.chance(0.5)) {
      emitter.send('screen', t, { name: 'Wi-Fi Check', properties: { name: 'Wi-Fi Check' } });
      emitter.send('track', t + 8 * SECOND, { event: 'Wi-Fi Check Run', properties: { result: 'poor' } });
      continue;
    }
    if (prng.chance(0.35)) {
      const product = pickProduct(prng, env.catalog);
      emitter.send('screen', t, { name: 'Product Detail', properties: { name: 'Product Detail', sku: product.sku } });
      emitter.send('track', t + 2 * SECOND, {
        event: 'Product Viewed',
        properties: productProperties(product, env.priceCents(product)),
      });
      continue;
    }
    const name = prng.pick(APP_SCREENS);
    emitter.send('screen', t, { name, properties: { name } });
  }
  if (prng.chance(0.07)) t = checkout(env, emitter, profile, t + 20 * SECOND);
  t += prng.between(5, 30) * SECOND;
  emitter.send('track', t, { event: 'Application Backgrounded', properties: {} });

  const flushMs = options.offline ? t + prng.between(1, 8) * 3_600_000 : t + prng.between(1, 3) * SECOND;
  const sentAt = iso(flushMs + client.clockSkewMs);
  const arrivalMs = flushMs + 50 + prng.int(400);
  for (const { message } of batch) env.emit({ ...message, sentAt }, arrivalMs);
  return t;
}
