/** The signed-in token lives in sessionStorage: it survives reloads of this tab, never a URL or another tab. */
const TOKEN_KEY = 'switchboard.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
