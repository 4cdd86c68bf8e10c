import type { Context, FlagResult, FlagSet, JsonValue, SwitchboardClient } from '@switchboard/sdk-browser';

const FLAG_NOT_FOUND: FlagResult = { value: null, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' };

/**
 * A flag's value typed like the browser SDK's reads: the value when it has the default's type (any value
 * for a JSON default) and the outcome is not an error; otherwise the default.
 */
export function typedValue<T extends JsonValue>(result: FlagResult | undefined, defaultValue: T): T {
  if (result === undefined || result.errorCode !== undefined || result.value === undefined)
    return defaultValue;
  const expected = typeof defaultValue;
  if (expected === 'boolean' || expected === 'string' || expected === 'number')
    return typeof result.value === expected ? (result.value as T) : defaultValue;
  return result.value as T;
}

/**
 * A client that serves fixed values and never connects: for server-side rendering (with the bootstrap the
 * Node SDK computed for the request), tests and component previews. Reads follow the browser SDK's typing
 * rules; `ready()` and `identify()` resolve at once and change nothing; `on`, `off`, `track` and `close`
 * do nothing, so hooks over it never re-render for a change.
 *
 * @example
 * ```tsx
 * // server: `bootstrap` from the Node SDK (`req.flags.browserBootstrap()`)
 * const html = renderToString(
 *   <SwitchboardProvider client={createStaticClient(bootstrap)}>
 *     <App />
 *   </SwitchboardProvider>,
 * );
 * ```
 */
export function createStaticClient(bootstrap: Pick<FlagSet, 'flags'>): SwitchboardClient {
  const flags = new Map(Object.entries(bootstrap.flags));
  return {
    ready: () => Promise.resolve(),
    isEnabled: (key, defaultValue = false) => typedValue(flags.get(key), defaultValue),
    stringVariation: (key, defaultValue) => typedValue(flags.get(key), defaultValue),
    numberVariation: (key, defaultValue) => typedValue(flags.get(key), defaultValue),
    jsonVariation: (key, defaultValue) => typedValue(flags.get(key), defaultValue),
    evaluate: (key) => ({ ...(flags.get(key) ?? FLAG_NOT_FOUND) }),
    allFlags: () => Object.fromEntries([...flags].map(([key, result]) => [key, result.value])),
    // Values never change: there is no server to ask for another context's.
    identify: (_context: Context) => Promise.resolve(),
    // No server to report tracked events to.
    track: () => {},
    on: () => {},
    off: () => {},
    close: () => {},
  };
}

/**
 * The bootstrap as JSON that is safe inside an inline `<script>`: `<`, `>`, `&` and the JavaScript line
 * separators are escaped, so a flag value such as `</script>` cannot end the script element.
 * `JSON.parse` gives back the same object.
 *
 * @example
 * ```tsx
 * // server
 * res.send(`<div id="root">${html}</div>
 * <script id="flags" type="application/json">${serializeBootstrap(bootstrap)}</script>`);
 *
 * // browser: the same values for the client and for hydration
 * const bootstrap = JSON.parse(document.getElementById('flags')!.textContent!);
 * const client = createClient({ url, clientKey, context, bootstrap });
 * hydrateRoot(
 *   root,
 *   <SwitchboardProvider client={client} bootstrap={bootstrap}>
 *     <App />
 *   </SwitchboardProvider>,
 * );
 * ```
 */
export function serializeBootstrap(bootstrap: Pick<FlagSet, 'flags'>): string {
  return JSON.stringify(bootstrap).replace(
    /[<>&\u2028\u2029]/g,
    (char) => '\\u' + char.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}
