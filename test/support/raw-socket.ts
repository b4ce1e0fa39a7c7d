import net from 'node:net';

/**
 * Sends bytes exactly as given on a fresh TCP connection and reads the answer: for requests no HTTP
 * client will send (control bytes or invalid UTF-8 in the request line, a lower-case method, `*`).
 * Resolves with the status (0 when the server closed without answering) and the raw text.
 */
export function rawSend(base: string, bytes: Buffer, timeoutMs = 5_000): Promise<{ status: number; head: string; body: Buffer }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = (split === -1 ? all : all.subarray(0, split)).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split === -1 ? Buffer.alloc(0) : all.subarray(split + 4) });
    };
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', () => {});
    socket.write(bytes);
  });
}
