import type { TokenKind } from './api';

/** What a token kind may do in the UI; the server enforces the same rules, the UI only hides what would fail. */
export interface Abilities {
  /** Edit flags and segments (documents, toggles, rollouts, rules). */
  edit: boolean;
  /** Kill and unkill flags, kill by tag. */
  kill: boolean;
  /** Create, list and revoke tokens. */
  manageTokens: boolean;
  /** Register and remove webhooks, read their delivery logs. */
  manageWebhooks: boolean;
}

const ABILITIES: Record<TokenKind, Abilities | null> = {
  admin: { edit: true, kill: true, manageTokens: true, manageWebhooks: true },
  editor: { edit: true, kill: true, manageTokens: false, manageWebhooks: false },
  responder: { edit: false, kill: true, manageTokens: false, manageWebhooks: false },
  viewer: { edit: false, kill: false, manageTokens: false, manageWebhooks: false },
  // SDK keys cannot use the admin API.
  server: null,
  client: null,
};

/** The token kind's abilities, or null for SDK keys, which cannot sign in. */
export function abilitiesOf(kind: TokenKind): Abilities | null {
  return ABILITIES[kind];
}
