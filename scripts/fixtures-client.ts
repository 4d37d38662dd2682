// The minio client that puts objects into a store for the demo, the scripts and the tests.
import { Client } from 'minio';

export function fixturesClient(endpoint: string, accessKey: string, secretKey: string, region = 'us-east-1'): Client {
  const url = new URL(endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    useSSL: url.protocol === 'https:',
    accessKey,
    secretKey,
    region,
    pathStyle: true,
  });
}
