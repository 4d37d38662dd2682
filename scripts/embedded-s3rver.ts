// s3rver started in this process on 127.0.0.1, on port 0 unless told (a busy port makes s3rver
// hang instead of failing), with its buckets created.
import S3rver from 's3rver';

/** s3rver accepts this access key only and checks no signature. */
export const s3rverCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface EmbeddedS3rver {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

export async function startS3rver(directory: string, buckets: string[], port = 0): Promise<EmbeddedS3rver> {
  const store = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await store.run();
  const close = async () => {
    const closed = store.close();
    // A store that stops stops: a client's connection in the middle of a request (a service's
    // GET, a keep-alive socket about to be reused) does not hold it.
    store.httpServer?.closeAllConnections();
    await closed;
  };
  return { endpoint: `http://127.0.0.1:${address.port}`, port: address.port, close };
}

/** The service's environment for a store at `endpoint`, as shell lines `eval` reads. */
export function exportLines(environment: Record<string, string>): string {
  return Object.entries(environment)
    .map(([name, value]) => `export ${name}=${value}\n`)
    .join('');
}

export function serviceEnvironment(endpoint: string): Record<string, string> {
  return {
    S3_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: s3rverCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3rverCredentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
}
