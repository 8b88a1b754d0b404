/**
 * The word lists the demo draws from: names, streets and cities per country
 * (faker, seeded once), the product catalog, device models, user agents.
 * Built once per generator run; per-customer choices then come from the fast
 * PRNG because reseeding faker per customer costs ~50 µs each.
 */
import { base, de, en, en_GB, es, Faker, fr, it, type LocaleDefinition, nl } from '@faker-js/faker';
import { createPrng, hash32 } from './prng';

export type CountryCode = 'DE' | 'FR' | 'NL' | 'ES' | 'IT' | 'GB';

export interface CountryProfile {
  readonly code: CountryCode;
  readonly weight: number;
  readonly currency: 'EUR' | 'GBP';
  readonly locale: string;
  readonly timezone: string;
  readonly phonePrefixes: readonly string[];
  readonly emailDomains: readonly string[];
}

export const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'DE',
    weight: 30,
    currency: 'EUR',
    locale: 'de-DE',
    timezone: 'Europe/Berlin',
    phonePrefixes: ['+49 151', '+49 160', '+49 172', '+49 176'],
    emailDomains: ['gmail.com', 'web.de', 'gmx.de', 't-online.de'],
  },
  {
    code: 'FR',
    weight: 20,
    currency: 'EUR',
    locale: 'fr-FR',
    timezone: 'Europe/Paris',
    phonePrefixes: ['+33 6', '+33 7'],
    emailDomains: ['gmail.com', 'orange.fr', 'free.fr', 'laposte.net'],
  },
  {
    code: 'NL',
    weight: 12,
    currency: 'EUR',
    locale: 'nl-NL',
    timezone: 'Europe/Amsterdam',
    phonePrefixes: ['+31 6'],
    emailDomains: ['gmail.com', 'ziggo.nl', 'kpnmail.nl', 'outlook.com'],
  },
  {
    code: 'ES',
    weight: 14,
    currency: 'EUR',
    locale: 'es-ES',
    timezone: 'Europe/Madrid',
    phonePrefixes: ['+34 6', '+34 7'],
    emailDomains: ['gmail.com', 'hotmail.es', 'yahoo.es', 'telefonica.net'],
  },
  {
    code: 'IT',
    weight: 12,
    currency: 'EUR',
    locale: 'it-IT',
    timezone: 'Europe/Rome',
    phonePrefixes: ['+39 320', '+39 333', '+39 347'],
    emailDomains: ['gmail.com', 'libero.it', 'alice.it', 'tiscali.it'],
  },
  {
    code: 'GB',
    weight: 12,
    currency: 'GBP',
    locale: 'en-GB',
    timezone: 'Europe/London',
    phonePrefixes: ['+44 7700', '+44 7911', '+44 7481'],
    emailDomains: ['gmail.com', 'btinternet.com', 'outlook.com', 'sky.com'],
  },
];

const LOCALES: Readonly<Record<CountryCode, LocaleDefinition>> = { DE: de, FR: fr, NL: nl, ES: es, IT: it, GB: en_GB };

/** Own instances, so seeding them never disturbs anyone else's use of the shared `faker`. */
function createFaker(code: CountryCode): Faker {
  return new Faker({ locale: [LOCALES[code], en, base] });
}

export interface CountryWords {
  readonly firstNames: readonly string[];
  readonly lastNames: readonly string[];
  readonly streets: readonly string[];
  readonly cities: readonly string[];
  readonly postalCodes: readonly string[];
}

export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly brand: string;
  /** Cents, so that sums stay exact. */
  readonly priceCents: number;
}

export interface DeviceModel {
  readonly manufacturer: string;
  readonly model: string;
}

export interface DemoVocabulary {
  readonly countries: Readonly<Record<CountryCode, CountryWords>>;
  readonly companies: readonly string[];
  readonly industries: readonly string[];
  readonly catalog: readonly Product[];
}

const POOL_SIZE = 400;

/** Curated so that names, brands and prices look like a real telecom shop. */
const CATALOG_SEED: readonly (readonly [category: string, code: string, brand: string, name: string, price: number])[] =
  [
    ['Smartphones', 'PHN', 'Apple', 'iPhone 15 128GB', 899],
    ['Smartphones', 'PHN', 'Apple', 'iPhone 15 Pro 256GB', 1299],
    ['Smartphones', 'PHN', 'Samsung', 'Galaxy S24 128GB', 799],
    ['Smartphones', 'PHN', 'Samsung', 'Galaxy A55 5G', 449],
    ['Smartphones', 'PHN', 'Google', 'Pixel 8', 699],
    ['Smartphones', 'PHN', 'Xiaomi', 'Redmi Note 13', 249],
    ['Smartphones', 'PHN', 'Fairphone', 'Fairphone 5', 699],
    ['Tablets', 'TAB', 'Apple', 'iPad 10.9" 64GB', 449],
    ['Tablets', 'TAB', 'Samsung', 'Galaxy Tab S9 FE', 499],
    ['Tablets', 'TAB', 'Lenovo', 'Tab M10', 179],
    ['Routers & Wi-Fi', 'NET', 'AVM', 'FRITZ!Box 7590 AX', 249],
    ['Routers & Wi-Fi', 'NET', 'AVM', 'FRITZ!Repeater 3000 AX', 129],
    ['Routers & Wi-Fi', 'NET', 'TP-Link', 'Powerline Adapter Kit', 79],
    ['TV & Streaming', 'TV', 'Apple', 'Apple TV 4K', 169],
    ['TV & Streaming', 'TV', 'Google', 'Chromecast with Google TV', 69],
    ['TV & Streaming', 'TV', 'Telco', 'TV Box 4K', 99],
    ['Accessories', 'ACC', 'Anker', 'USB-C Fast Charger 25W', 24.99],
    ['Accessories', 'ACC', 'Anker', 'Power Bank 10000mAh', 34.99],
    ['Accessories', 'ACC', 'Sony', 'WF-1000XM5 Earbuds', 279],
    ['Accessories', 'ACC', 'Telco', 'Screen Protector', 14.99],
    ['Smart Home', 'HOM', 'TP-Link', 'Tapo Smart Plug', 14.99],
    ['Smart Home', 'HOM', 'Netatmo', 'Smart Thermostat', 179],
    ['Smart Home', 'HOM', 'Ring', 'Indoor Camera', 59.99],
    ['Wearables', 'WEA', 'Apple', 'Watch SE 40mm', 279],
    ['Wearables', 'WEA', 'Samsung', 'Galaxy Watch6', 299],
  ];

export const ROUTER_MODELS: readonly DeviceModel[] = [
  { manufacturer: 'AVM', model: 'FRITZ!Box 7590 AX' },
  { manufacturer: 'Sagemcom', model: 'F@st 5670' },
  { manufacturer: 'Nokia', model: 'Beacon 6' },
  { manufacturer: 'Technicolor', model: 'DGA4134' },
];

export const SET_TOP_BOX_MODELS: readonly DeviceModel[] = [
  { manufacturer: 'Arris', model: 'VIP5202' },
  { manufacturer: 'Kaon', model: 'KSTB6077' },
  { manufacturer: 'Technicolor', model: 'UIW4060' },
];

export const IOS_PHONES: readonly DeviceModel[] = [
  { manufacturer: 'Apple', model: 'iPhone15,2' },
  { manufacturer: 'Apple', model: 'iPhone15,4' },
  { manufacturer: 'Apple', model: 'iPhone16,1' },
  { manufacturer: 'Apple', model: 'iPhone14,7' },
];

export const ANDROID_PHONES: readonly DeviceModel[] = [
  { manufacturer: 'samsung', model: 'SM-S921B' },
  { manufacturer: 'samsung', model: 'SM-A556B' },
  { manufacturer: 'Google', model: 'Pixel 8' },
  { manufacturer: 'Xiaomi', model: '23124RA7EO' },
];

export const TABLETS: readonly DeviceModel[] = [
  { manufacturer: 'Apple', model: 'iPad13,18' },
  { manufacturer: 'samsung', model: 'SM-X510' },
];

export const DESKTOPS: readonly (DeviceModel & { readonly userAgent: string })[] = [
  {
    manufacturer: 'Apple',
    model: 'Macintosh',
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  },
  {
    manufacturer: 'Apple',
    model: 'Macintosh',
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  },
  {
    manufacturer: 'Microsoft',
    model: 'Windows PC',
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
  },
  {
    manufacturer: 'Microsoft',
    model: 'Windows PC',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  },
  {
    manufacturer: 'Lenovo',
    model: 'Linux PC',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  },
];

export const PLANS_RESIDENTIAL: readonly (readonly [string, number])[] = [
  ['Fiber 100', 20],
  ['Fiber 500', 25],
  ['Fiber 1000', 10],
  ['Mobile S', 15],
  ['Mobile L', 15],
  ['TV + Fiber Bundle', 15],
];

export const PLANS_BUSINESS: readonly (readonly [string, number])[] = [
  ['Business Fiber', 60],
  ['Business Pro', 40],
];

export const INDUSTRIES: readonly string[] = [
  'Retail',
  'Healthcare',
  'Construction',
  'Hospitality',
  'Professional Services',
  'Logistics',
  'Education',
];

function uniquePool(size: number, make: () => string): string[] {
  const seen = new Set<string>();
  // Bounded attempts: some locales have fewer distinct values than the pool size.
  for (let attempt = 0; attempt < size * 4 && seen.size < size; attempt++) seen.add(make());
  return [...seen];
}

function wordsFor(faker: Faker): CountryWords {
  return {
    firstNames: uniquePool(POOL_SIZE, () => faker.person.firstName()),
    lastNames: uniquePool(POOL_SIZE, () => faker.person.lastName()),
    streets: uniquePool(POOL_SIZE, () => faker.location.street()),
    cities: uniquePool(120, () => faker.location.city()),
    postalCodes: uniquePool(POOL_SIZE, () => faker.location.zipCode()),
  };
}

/** Builds the vocabulary for one seed: faker is seeded once per country, then only the PRNG picks. */
export function createDemoVocabulary(seed: number): DemoVocabulary {
  const countries = {} as Record<CountryCode, CountryWords>;
  for (const { code } of COUNTRIES) {
    const faker = createFaker(code);
    faker.seed(hash32(seed, code.charCodeAt(0), code.charCodeAt(1)));
    countries[code] = wordsFor(faker);
  }
  const english = createFaker('GB');
  english.seed(hash32(seed, 0xc0));
  const companies = uniquePool(POOL_SIZE, () => english.company.name());

  const prng = createPrng(hash32(seed, 0xca7));
  const catalog: Product[] = CATALOG_SEED.map(([category, code, brand, name, price], index) => ({
    sku: `${code}-${String(1001 + index)}`,
    name: `${brand} ${name}`,
    category,
    brand,
    priceCents: Math.round(price * 100),
  }));
  // A long tail of accessories, named by faker so each seed's shop looks a little different.
  for (let index = 0; index < 25; index++) {
    const name = english.commerce.productName();
    catalog.push({
      sku: `ACC-${String(2001 + index)}`,
      name,
      category: 'Accessories',
      brand: 'Telco',
      priceCents: prng.between(8, 90) * 100 - 1,
    });
  }
  return { countries, companies, industries: INDUSTRIES, catalog };
}

/** Debezium `decimal.handling.mode=string` and Segment prices both come from cents. */
export function centsToDecimalString(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
