// Main thread. How the fetch worker reaches the store: the URL its requests go to, and the proxy
// they go through, decided once at start from HTTPS_PROXY, HTTP_PROXY and NO_PROXY as curl reads
// them (lower case first; NO_PROXY: `*`, a host and its subdomains, with or without a leading dot
// or `*.`, an IP address or CIDR range, each optionally with `:port`). The worker's agents do the
// proxying itself (node:http's own: CONNECT for https, the absolute form for http).
import type { Config } from './config.ts';

export class ProxySettingError extends Error {}

/** The store's URL as the SDK addresses it: path style on the endpoint, else the bucket as a subdomain. */
export function storeUrl(config: Pick<Config, 'endpoint' | 'forcePathStyle' | 'bucket' | 'region'>): URL {
  if (config.endpoint === undefined) return new URL(`https://${config.bucket}.s3.${config.region ?? 'us-east-1'}.amazonaws.com/`);
  const url = new URL(config.endpoint);
  if (!config.forcePathStyle) url.hostname = `${config.bucket}.${url.hostname}`;
  return url;
}

const defaultPorts: Record<string, string> = { 'http:': '80', 'https:': '443' };

function bypassEntryMatches(entry: string, host: string, port: string): boolean {
  const withPort = /^(.*?)(?::(\d+))?$/.exec(entry)!;
  let pattern = withPort[1]!.replace(/^\[(.*)\]$/, '$1');
  if (withPort[2] !== undefined && withPort[2] !== port) return false;
  if (pattern.includes('/')) {
    // node:net only for a CIDR entry: this runs before the fetch worker starts, which loading it would delay.
    const { BlockList, isIP } = process.getBuiltinModule('node:net');
    const [address = '', bits = ''] = pattern.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(address) === 0 || isIP(host) === 0) return false;
    const range = new BlockList();
    range.addSubnet(address, Number(bits), family);
    return range.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4');
  }
  pattern = pattern.replace(/^\*?\./, '');
  return host === pattern || host.endsWith(`.${pattern}`);
}

/** Whether NO_PROXY's `list` keeps requests to `url` off the proxy. */
export function bypassesProxy(list: string, url: URL): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port || defaultPorts[url.protocol] || '';
  const entries = list.split(/[,\s]+/).map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  return entries.some((entry) => entry === '*' || bypassEntryMatches(entry, host, port));
}

export interface ProxyChoice {
  /** With its credentials, for the worker's agents; undefined: straight to the store. */
  proxy: string | undefined;
  /** For the start line: the proxy's host and port only, or why there is none. */
  shown: string;
}

/** The proxy for requests to `url`, from `env`; a malformed proxy URL is a ProxySettingError naming the variable. */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): ProxyChoice {
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const name = [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`].find((candidate) => env[candidate]);
  if (name === undefined) return { proxy: undefined, shown: 'none' };
  if (bypassesProxy(env.no_proxy ?? env.NO_PROXY ?? '', url)) return { proxy: undefined, shown: `none (NO_PROXY lists ${url.hostname})` };
  const raw = env[name]!.includes('://') ? env[name]! : `http://${env[name]}`;
  let proxy: URL;
  try {
    proxy = new URL(raw);
  } catch {
    throw new ProxySettingError(`${name} is not a URL; use http://HOST:PORT (or http://USER:PASSWORD@HOST:PORT)`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new ProxySettingError(`${name} names a ${proxy.protocol.slice(0, -1)} proxy at ${proxy.host}; only http:// and https:// proxies are supported`);
  }
  return { proxy: proxy.href, shown: `${proxy.host} (${name})` };
}
