/**
 * The local stack (infra/local-stack.ts, what `npm start` runs) with the fault-injecting S3 proxy
 * (faulty-s3.ts) between the functions and the embedded S3: the set-up of every test file that makes
 * S3 fail. Each file starts its own on free ports and closes both after its tests.
 */
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack, LocalStackOptions } from '../../infra/local-stack.ts';
import { startFaultyS3 } from './faulty-s3.ts';
import type { FaultyS3 } from './faulty-s3.ts';

export async function startStackBehindFaultyS3(options: Omit<LocalStackOptions, 's3Front'>): Promise<{ stack: LocalStack; faulty: FaultyS3 }> {
  let faulty: FaultyS3 | undefined;
  const stack = await startLocalStack({
    ...options,
    s3Front: async (endpoint) => {
      faulty = await startFaultyS3(endpoint);
      return faulty.endpoint;
    },
  });
  if (!faulty) throw new Error('Expected the local stack to start the faulty S3 proxy but received none');
  return { stack, faulty };
}
