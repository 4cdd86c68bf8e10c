import type { Command } from 'commander';
import { ApiClient } from './api-client';
import type { Environment, Paged } from './api-types';
import { resolveConnection } from './config';
import type { Output } from './output';
import { colorEnabled, createOutput } from './output';

const MAX_PAGE_SIZE = 500;

/** Options every command accepts (declared on the program, usable after any subcommand). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  /** False with --no-color. */
  color: boolean;
}

/** What a command works with: where to write, and (on first use) a client for the configured server. */
export class Session {
  readonly out: Output;
  private client: ApiClient | undefined;

  constructor(private readonly options: GlobalOptions) {
    this.out = createOutput(
      options.json === true,
      options.color && colorEnabled(process.stdout, process.env),
    );
  }

  /** Resolved lazily so that commands needing no server (e.g. help) never demand a token. */
  get api(): ApiClient {
    this.client ??= (() => {
      const { url, token } = resolveConnection({ url: this.options.url, token: this.options.token });
      return new ApiClient(url, token);
    })();
    return this.client;
  }

  /** Reads every page of a cursor-paged list whose items arrive in the answer's `field`. */
  async listAll<T>(
    path: string,
    field: string,
    query: Record<string, string | undefined> = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.api.get<Paged & Record<string, unknown>>(
        withQuery(path, { ...query, limit: String(MAX_PAGE_SIZE), cursor }),
      );
      items.push(...((page[field] as T[] | undefined) ?? []));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  async environments(): Promise<Environment[]> {
    return (await this.api.get<{ environments: Environment[] }>('/api/v1/environments')).environments;
  }
}

export function sessionFor(command: Command): Session {
  return new Session(command.optsWithGlobals<GlobalOptions>());
}

export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
