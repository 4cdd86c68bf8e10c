/** The page's script: the browser SDK starts from the server's bootstrap and hydrates the page. */
import { createElement } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { createClient } from '@switchboard/sdk-browser';
import { SwitchboardProvider } from '@switchboard/react';
import { ShopPage } from './page';

const read = (id: string) => JSON.parse(document.getElementById(id)?.textContent ?? 'null');
const config = read('config') as { url: string; clientKey: string; shopper: string };
const bootstrap = read('flags');
const client = createClient({
  url: config.url,
  clientKey: config.clientKey,
  context: { userId: config.shopper },
  bootstrap,
});
hydrateRoot(
  document.getElementById('root') as HTMLElement,
  createElement(
    SwitchboardProvider,
    { client, bootstrap },
    createElement(ShopPage, { shopper: config.shopper }),
  ),
);
