/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The gallery page of the local edge: originals with their presets, a srcset example, private images,
 * an upload form, dev controls and a request inspector. Bundled by esbuild when the edge starts.
 */
interface GalleryState {
  readonly originals: readonly string[];
  readonly presets: readonly string[];
  readonly widths: readonly number[];
  readonly controls: readonly Control[];
  readonly privateImages: readonly { readonly label: string; readonly url: string }[];
}

interface Control {
  readonly id: string;
  readonly label: string;
  readonly options: readonly { readonly value: string; readonly label: string }[];
}

/** The dev switches chosen on the page, added to every image URL as the local edge's query flags. */
const switches = new Map<string, string>();

function withSwitches(url: string): string {
  const chosen = [...switches].filter(([, value]) => value !== 'off');
  if (chosen.length === 0) return url;
  const flags = chosen.map(([id, value]) => `${id}=${encodeURIComponent(value)}`).join('&');
  return `${url}${url.includes('?') ? '&' : '?'}${flags}`;
}

interface TraceFunction {
  readonly eventType: string;
  readonly fn: string;
  readonly ms: number;
  readonly outcome: string;
  /** `cloudfront-function`: the cloudfront-js-2.0 build ran (its own event shape); otherwise Lambda@Edge. */
  readonly runtime?: string;
  readonly detail?: string;
  readonly event?: unknown;
  readonly result?: unknown;
}

interface Trace {
  readonly requestId: string;
  readonly method: string;
  readonly uri: string;
  readonly cache: string;
  readonly origin?: string;
  readonly status: number;
  readonly contentType?: string;
  readonly bytes: number;
  readonly ms: number;
  readonly functions: readonly TraceFunction[];
  readonly notes?: readonly string[];
}

type Child = Node | string | null | undefined | false;

function h(tag: string, attributes: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');
const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);

/**
 * After an image loads, ask the inspector what the edge answered the browser's own request for it:
 * the format negotiated from the browser's image Accept header and the bytes sent.
 */
async function describe(img: HTMLImageElement, caption: HTMLElement, label: string): Promise<void> {
  await img.decode().catch(() => undefined);
  const url = new URL(img.currentSrc || img.src);
  const [trace] = (await (await fetch(`/_local/api/traces?uri=${encodeURIComponent(url.pathname + url.search)}`)).json()) as Trace[];
  const type = trace?.contentType?.replace('image/', '') ?? 'cached by the browser';
  const from = trace ? (trace.cache === 'Hit' ? 'edge cache' : (trace.origin ?? '')) : '';
  // A q=auto variant carries the SSIM it reached as S3 user metadata (and the same header when answered
  // inline). Asked again with the type the browser got as Accept, so fm=auto picks that same variant.
  const accept: Record<string, string> = trace?.contentType ? { accept: trace.contentType } : {};
  const ssim = url.searchParams.get('q') === 'auto' ? (await fetch(url, { method: 'HEAD', headers: accept })).headers.get('x-amz-meta-ssim') : null;
  if (ssim) img.dataset['ssim'] = ssim;
  caption.textContent = [label, `${img.naturalWidth}x${img.naturalHeight}`, type, kb(trace?.bytes ?? 0), ssim && `SSIM ${ssim}`, from]
    .filter(Boolean)
    .join(' · ');
  img.dataset['origin'] = trace?.origin ?? '';
  caption.className = trace && trace.status >= 400 ? 'bad' : '';
  img.dataset['format'] = type;
  img.dataset['bytes'] = String(trace?.bytes ?? 0);
}

function figure(src: string, label: string, extra: Record<string, string> = {}): HTMLElement {
  const img = h('img', { src: withSwitches(src), alt: label, ...extra }) as HTMLImageElement;
  const caption = h('figcaption', {}, `${label} · loading`);
  img.addEventListener('load', () => void describe(img, caption, label));
  img.addEventListener('error', () => {
    img.dataset['format'] = 'error';
    caption.textContent = `${label} · failed`;
    caption.className = 'bad';
  });
  return h('figure', { class: 'thumb' }, img, caption);
}

function renderOriginals(state: GalleryState): void {
  const grid = document.getElementById('grid')!;
  grid.replaceChildren(
    ...state.originals.map((key) =>
      h(
        'article',
        { class: 'card', 'data-key': key },
        h('h3', {}, key),
        h(
          'div',
          { class: 'row' },
          ...state.presets.map((preset) => figure(`/${preset}/${encodeKey(key)}`, preset, { 'data-preset': preset })),
          figure(`/${encodeKey(key)}?w=320&q=auto`, 'q=auto', { 'data-quality': 'auto' }),
        ),
      ),
    ),
  );
}

function renderSrcset(state: GalleryState): void {
  const key = state.originals.find((k) => k.startsWith('landscape')) ?? state.originals[0];
  if (!key) return;
  const srcset = state.widths.map((w) => `${withSwitches(`/${encodeKey(key)}?w=${w}`)} ${w}w`).join(', ');
  const img = h('img', {
    id: 'srcset-image',
    src: withSwitches(`/${encodeKey(key)}?w=${state.widths[0]}`),
    srcset,
    sizes: '(max-width: 800px) 100vw, 800px',
    alt: key,
  }) as HTMLImageElement;
  const caption = h('figcaption', {}, 'loading');
  img.addEventListener('load', () => void describe(img, caption, `chosen: ${new URL(img.currentSrc).search}`));
  document
    .getElementById('srcset-figure')!
    .replaceChildren(img, caption, h('pre', {}, `<img srcset="${srcset}"\n     sizes="(max-width: 800px) 100vw, 800px">`));
}

function renderPrivate(state: GalleryState): void {
  if (state.privateImages.length === 0) return;
  document.getElementById('private')!.hidden = false;
  document.getElementById('private-images')!.replaceChildren(...state.privateImages.map((p) => figure(p.url, p.label, { 'data-private': p.label })));
}

function renderControls(state: GalleryState): void {
  const nav = document.getElementById('controls')!;
  nav.replaceChildren(
    ...state.controls.map((control) => {
      const select = h(
        'select',
        { id: `control-${control.id}`, name: control.id },
        ...control.options.map((o) => h('option', { value: o.value }, o.label)),
      ) as HTMLSelectElement;
      select.addEventListener('change', async () => {
        switches.set(control.id, select.value);
        // The country is not in the cache key (as in CloudFront): clear it so requests reach an origin.
        await fetch('/_local/api/cache', { method: 'DELETE' });
        await reloadImages();
      });
      return h('label', {}, control.label, select);
    }),
    h('button', { id: 'clear-cache', type: 'button' }, 'Clear the edge cache'),
  );
  document.getElementById('clear-cache')!.addEventListener('click', async () => {
    await fetch('/_local/api/cache', { method: 'DELETE' });
    await reloadImages();
  });
}

async function reloadImages(): Promise<void> {
  const state = (await (await fetch('/_local/api/state')).json()) as GalleryState;
  renderOriginals(state);
  renderSrcset(state);
  renderPrivate(state);
}

/**
 * The upload form, through the grant flow a site uses: a token from the page's own server (the
 * site's backend), a grant from upload-grant, then a POST of the form straight to S3.
 */
async function uploadThroughGrant(key: string, file: File): Promise<{ key: string } | { error: string }> {
  const minted = await fetch('/_local/api/upload-token', { method: 'POST' });
  const site = (await minted.json()) as { token?: string; grantUrl?: string; error?: string };
  if (!minted.ok || !site.token || !site.grantUrl) return { error: site.error ?? `no upload token (${minted.status})` };
  const granted = await fetch(site.grantUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contentType: file.type }),
  });
  const grant = (await granted.json()) as { url?: string; fields?: Record<string, string>; error?: string };
  if (!granted.ok || !grant.url || !grant.fields) return { error: `upload grant refused (${granted.status}): ${grant.error ?? ''}` };
  const form = new FormData();
  for (const [name, value] of Object.entries(grant.fields)) form.append(name, name === 'key' ? key : value);
  form.append('file', file);
  const stored = await fetch(grant.url, { method: 'POST', body: form });
  if (!stored.ok) {
    const xml = await stored.text();
    const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? String(stored.status);
    const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? '';
    return { error: `S3 refused the upload: ${code} ${message}` };
  }
  return { key };
}

function setUpUpload(): void {
  const form = document.getElementById('upload-form') as HTMLFormElement;
  const output = document.getElementById('upload-result')!;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const key = String(data.get('key') ?? '').trim();
    const file = data.get('file');
    if (!(file instanceof File)) return;
    const answer = await uploadThroughGrant(key, file);
    if ('error' in answer) {
      output.replaceChildren(h('span', { class: 'bad' }, answer.error));
      return;
    }
    // A second upload of a key replaces the original; derived-cleanup purged its old thumbnails.
    output.replaceChildren(figure(`/thumb/${encodeKey(answer.key)}`, `thumb of ${answer.key}`, { id: 'uploaded-thumb' }));
    await reloadImages();
  });
}

function traceView(trace: Trace): HTMLElement {
  const cacheClass = trace.cache === 'Hit' ? 'ok' : trace.cache === 'Miss' ? 'miss' : 'bad';
  const statusClass = trace.status < 400 ? 'ok' : 'bad';
  return h(
    'details',
    { class: 'trace', 'data-request-id': trace.requestId },
    h(
      'summary',
      {},
      h('span', {}, trace.method),
      h('span', { title: trace.uri }, trace.uri),
      h('span', { class: statusClass }, String(trace.status)),
      h('span', { class: cacheClass }, trace.cache),
      h('span', {}, trace.origin ?? '-'),
      h('span', {}, `${trace.ms} ms`),
    ),
    h(
      'div',
      { class: 'fn' },
      ...(trace.notes ?? []).map((note) => h('p', { class: 'miss note' }, note)),
      ...(trace.functions.length === 0 ? [h('p', {}, 'No function ran (a cache hit, or no function on this behavior).')] : []),
      ...trace.functions.map((f) =>
        h(
          'div',
          {},
          h(
            'h4',
            {},
            `${f.eventType}: ${f.fn}${f.runtime === 'cloudfront-function' ? ' (CloudFront Function, cloudfront-js-2.0)' : ''} · ${f.outcome} · ${f.ms} ms`,
          ),
          f.detail ? h('p', { class: 'bad' }, f.detail) : null,
          // Events and results are captured only while this inspector is open.
          f.event === undefined
            ? h('p', {}, 'Event and result not captured: the inspector was closed.')
            : h('pre', {}, `event\n${JSON.stringify(f.event, null, 2)}`),
          f.event === undefined ? null : h('pre', {}, `result\n${JSON.stringify(f.result, null, 2)}`),
        ),
      ),
    ),
  );
}

async function pollTraces(): Promise<void> {
  const container = document.getElementById('traces')!;
  const open = new Set([...container.querySelectorAll<HTMLDetailsElement>('details[open]')].map((d) => d.dataset['requestId']));
  const traces = (await (await fetch('/_local/api/traces')).json()) as Trace[];
  container.replaceChildren(
    ...traces.map((trace) => {
      const view = traceView(trace) as HTMLDetailsElement;
      view.open = open.has(trace.requestId);
      return view;
    }),
  );
}

async function main(): Promise<void> {
  const state = (await (await fetch('/_local/api/state')).json()) as GalleryState;
  renderControls(state);
  renderOriginals(state);
  renderSrcset(state);
  renderPrivate(state);
  setUpUpload();
  await pollTraces();
  setInterval(() => void pollTraces(), 2000);
}

void main();
