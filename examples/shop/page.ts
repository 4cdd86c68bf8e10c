/** The shop's page: rendered on the server with the Node SDK's values, hydrated in the browser. */
import { createElement, useState } from 'react';
import type { ReactNode } from 'react';
import { useFlag } from '@switchboard/react';

export function ShopPage({ shopper }: { shopper: string }): ReactNode {
  const newPaymentFlow = useFlag('new-payment-flow');
  const [status, setStatus] = useState('');
  const pay = async () => {
    const response = await fetch('/api/pay', { method: 'POST' });
    setStatus(response.ok ? 'Paid. Thank you!' : 'Payment failed — please try again.');
  };
  return createElement(
    'main',
    { style: { fontFamily: 'system-ui', maxWidth: '32rem', margin: '3rem auto' } },
    createElement('h1', null, 'Switchboard Coffee'),
    createElement('p', null, `Signed in as ${shopper}. One bag of beans, €12.`),
    createElement(
      'button',
      { id: 'pay', type: 'button', onClick: () => void pay() },
      newPaymentFlow ? 'Pay in one click (new)' : 'Pay by card',
    ),
    createElement('p', { id: 'status' }, status),
  );
}
